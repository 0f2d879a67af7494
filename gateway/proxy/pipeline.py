"""The hot path, top to bottom: authenticate -> parse -> pick deployment -> send.

Limits, budgets and spend recording join here as their issues land; each is
one line in `run`. Nothing in this module touches the database.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from gateway.errors import BadRequest
from gateway.proxy import runtime as runtime_module
from gateway.proxy.parsing import parse_call, read_api_key
from gateway.proxy.runtime import Runtime
from gateway.types import CallType, KeyContext, ProxyCall, ProxyReply
from keys.auth import authenticate
from routing import router
from routing.deployments import Deployment
from routing.providers.registry import MOCK, adapter_for


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as the view received it, before anything was checked."""

    request: HttpRequest
    call_type: CallType
    route: str
    request_id: str
    path_model: str | None = None


async def run(incoming: Incoming) -> tuple[ProxyCall, ProxyReply]:
    runtime = runtime_module.current()
    api_key = read_api_key(incoming.request, runtime)
    key = authenticate(api_key, runtime.master_key)
    call = parse_call(incoming.request, runtime, incoming.call_type, incoming.route, incoming.request_id,
                      api_key, incoming.path_model)
    deployment = pick_deployment(call, key, runtime)
    return call, await send(call, deployment, runtime)


def pick_deployment(call: ProxyCall, key: KeyContext, runtime: Runtime) -> Deployment:
    group = runtime.table.resolve(call.model)
    if group is None:
        available = ", ".join(runtime.table.visible_names()) or "none"
        raise BadRequest(
            f"{call.route}: Invalid model name passed in model={call.model}. Call `/v1/models` to view available "
            f"models for your key. Available models: {available}",
            param="model",
        )
    return router.choose(runtime.table.groups[group])


async def send(call: ProxyCall, deployment: Deployment, runtime: Runtime) -> ProxyReply:
    """Call the deployment's provider (or the mock, for `mock_response`)."""
    adapter = MOCK if call.mock_response is not None else adapter_for(deployment.provider)
    timeout = call.timeout or deployment.entry.timeout or runtime.timeout
    if call.is_stream:
        first_chunk_timeout = call.timeout or deployment.entry.stream_timeout or runtime.stream_timeout or timeout
        stream = await adapter.open_stream(call, deployment, timeout, first_chunk_timeout)
        return ProxyReply(deployment.id, deployment.model_name, deployment.public_api_base, stream=stream)
    reply = await adapter.send(call, deployment, timeout)
    return ProxyReply(deployment.id, deployment.model_name, deployment.public_api_base, reply=reply)
