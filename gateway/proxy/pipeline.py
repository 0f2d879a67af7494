"""The hot path, top to bottom: authenticate -> parse (Responses API: rebuild a
stored conversation) -> resolve the model group and the fallbacks it may reach
-> admit (limits, budget reservation) -> route (choose a deployment, send,
retry, fall back) -> settle (real cost, counters released).

Nothing in this module touches the database.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.http import HttpRequest

from gateway.errors import BadRequest
from gateway.proxy import accounting, admission, client_credentials, conversations, fallbacks
from gateway.proxy import runtime as runtime_module
from gateway.proxy.parsing import parse_call, read_api_key
from gateway.proxy.runtime import Runtime
from gateway.types import CallType, KeyContext, ProxyCall, ProxyReply
from keys.access import apply_aliases, check_model_access, may_call
from keys.auth import authenticate
from keys.limits import Ticket


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as the view received it, before anything was checked."""

    request: HttpRequest
    call_type: CallType
    route: str
    request_id: str
    path_model: str | None = None
    started_at: float = 0.0


async def run(incoming: Incoming) -> tuple[ProxyCall, ProxyReply]:
    runtime = runtime_module.current()
    api_key = read_api_key(incoming.request, runtime)
    key = await authenticate(api_key, runtime.master_key, route=incoming.route)
    call = parse_call(incoming.request, runtime, incoming.call_type, incoming.route, incoming.request_id,
                      api_key, incoming.path_model, incoming.started_at)
    await check_client_fields(call, key, runtime)
    if call.call_type is CallType.RESPONSES:
        call = await conversations.continue_from_previous(call, key)
    group = resolve_group(call, key, runtime)
    scopes = await admission.scopes_of(key, call, group, runtime)
    reach = fallbacks.plan(call, key, group, runtime, needs_price=admission.has_budget(scopes))
    ticket = await admission.admit(scopes, call, (group, *reach.groups), runtime)
    taken: dict[str, Ticket] = {}

    async def enter_fallback(fallback: str) -> None:
        fallback_ticket = await admission.admit_fallback(key, call, fallback, runtime)
        if fallback_ticket is not None:
            taken[fallback] = fallback_ticket

    try:
        reply = await runtime.router.send(call, group, num_retries=call.num_retries, fallbacks=reach.names,
                                          reachable=reach.groups, on_fallback=enter_fallback)
    except BaseException as error:
        accounting.settle(call, key, group, ticket, runtime, accounting.Outcome(error=error))
        raise
    ticket = admission.ticket_to_release(ticket, group, reply.model_group, taken)
    headers = dict(ticket.headers) if ticket else {}
    if reply.stream is None:
        charge = accounting.settle(call, key, group, ticket, runtime,
                                   accounting.Outcome(reply=reply, usage=accounting.usage_of(reply)))
        headers.update(accounting.spend_headers(charge, key, ticket))
        if call.call_type is CallType.RESPONSES:
            await conversations.remember(call, key, reply.reply.body, runtime.responses_ttl_seconds,
                                         response_model(call, reply, runtime))
        return call, dataclasses.replace(reply, headers={**reply.headers, **headers})
    chunks = accounting.settle_when_done(reply.stream.chunks, call, key, group, ticket, runtime, reply)
    if call.call_type is CallType.RESPONSES:
        chunks = conversations.remember_when_done(chunks, call, key, runtime.responses_ttl_seconds,
                                                  response_model(call, reply, runtime))
    stream = dataclasses.replace(reply.stream, chunks=chunks)
    return call, dataclasses.replace(reply, stream=stream, headers={**reply.headers, **headers})


async def check_client_fields(call: ProxyCall, key: KeyContext, runtime: Runtime) -> None:
    """Gateway fields only some callers may use: mock_response (it answers, or
    fails, without the provider), and a client api_base (checked before any
    connection is made)."""
    if call.mock_response is not None and not key.is_admin and not runtime.allow_mock_response:
        raise BadRequest("mock_response is only accepted from admin keys: it answers without calling the provider. "
                         "An admin can allow it for every key with general_settings.allow_mock_response.",
                         param="mock_response")
    api_base = call.client_credentials.get("api_base")
    if api_base:
        await client_credentials.check_destination(api_base, runtime.client_hosts)


def response_model(call: ProxyCall, reply: ProxyReply, runtime: Runtime) -> str | None:
    """The model name answers show ([v] general_settings.response_model_name): the
    group the client asked for, unless a fallback group served it; None keeps
    the provider's own."""
    if runtime.config.general_settings.response_model_name != "model_group":
        return None
    return call.model if reply.attempted_fallbacks == 0 else reply.model_group


def resolve_group(call: ProxyCall, key: KeyContext, runtime: Runtime) -> str:
    """The model group the call goes to, after the key's aliases; 403 if the key may not use it."""
    asked = apply_aliases(key, call.model)
    group = runtime.table.resolve(asked)
    if group is None:
        available = ", ".join(name for name in runtime.table.visible_names() if may_call(key, name)) or "none"
        raise BadRequest(
            f"{call.route}: Invalid model name passed in model={call.model}. Call `/v1/models` to view available "
            f"models for your key. Available models: {available}",
            param="model",
        )
    check_model_access(key, asked, group)
    return group
