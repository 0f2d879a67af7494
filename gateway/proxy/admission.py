"""The pipeline's admit step for virtual keys: rate limits and budgets of the
key, its team, its user and the key x model pair, checked and reserved in one
atomic step before the call, settled with the real cost after it.

Budgets fail closed: a request that would spend against a budget on a model
with no known price is refused, instead of being charged $0 for ever.
"""
from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from decimal import Decimal

import orjson

from gateway.errors import BadRequest, PermissionDenied
from gateway.proxy.runtime import Runtime
from gateway.types import KeyContext, Limits, ProxyCall, ProxyReply
from keys import end_users, limits
from spend import recorder
from spend.cost import TokenUsage, cost_of, estimate_cost, usage_from_openai

logger = logging.getLogger("gateway.admission")


def _scope(kind: str, scope_id: str, own: Limits) -> limits.Scope:
    return limits.Scope(kind=kind, id=scope_id, rpm_limit=own.rpm, tpm_limit=own.tpm,
                        max_parallel_requests=own.parallel, max_budget=own.max_budget, spend=own.spend)


def scopes_for(key: KeyContext, group: str) -> list[limits.Scope]:
    scopes = [_scope("api_key", key.token, key.key_limits)]
    if key.team_id:
        scopes.append(_scope("team", key.team_id, key.team_limits))
    if key.user_id:
        scopes.append(_scope("user", key.user_id, key.user_limits))
    rpm, tpm = key.model_rpm_limit.get(group), key.model_tpm_limit.get(group)
    if rpm is not None or tpm is not None:
        scopes.append(limits.Scope(kind="model_per_key", id=f"{key.token}:{group}", rpm_limit=rpm, tpm_limit=tpm))
    return scopes


async def admit(key: KeyContext, call: ProxyCall, group: str, runtime: Runtime) -> limits.Ticket | None:
    """Reserve the call against every limit and budget, or raise 429 / budget_exceeded."""
    scopes = [] if key.is_admin else scopes_for(key, group)
    if call.end_user:
        customer = await end_users.end_user_state(call.end_user, runtime.max_end_user_budget)
        if customer.is_blocked:
            raise PermissionDenied(f"End user={call.end_user} is blocked. Update via `/customer/unblock`.",
                                   param="user")
        if not customer.limits.is_empty:
            scopes.append(_scope("end_user", call.end_user, customer.limits))
    if not scopes:
        return None
    estimate = Decimal(0)
    if any(scope.max_budget is not None for scope in scopes):
        estimate = _estimate(call, group, runtime)
    return await limits.admit(scopes, request_id=call.request_id, estimated_cost=estimate,
                              budget_status=runtime.budget_status)


def _estimate(call: ProxyCall, group: str, runtime: Runtime) -> Decimal:
    """The most this call may cost on any deployment of the group."""
    estimates = []
    for deployment in runtime.table.groups[group]:
        price = runtime.prices.get(deployment.id)
        if price is None:
            raise BadRequest(
                f"No price is known for model {deployment.entry.model} (model group {group}), and this key has a "
                "budget: set input_cost_per_token and output_cost_per_token in its litellm_params, or "
                "model_info.base_model to a priced model.", param="model", code="model_not_priced")
        body = {**deployment.entry.request_defaults, **call.body}
        estimates.append(estimate_cost(body, price, call.call_type.value))
    return max(estimates)


def settle_now(ticket: limits.Ticket | None, reply: ProxyReply, runtime: Runtime) -> None:
    """After a complete answer: charge its real cost (in the background)."""
    if ticket is None:
        return
    usage = usage_from_openai(reply.reply.body.get("usage")) if reply.reply else None
    _settle_later(ticket, reply.deployment_id, usage, runtime)


def release_unused(ticket: limits.Ticket | None, runtime: Runtime) -> None:
    """The call failed: give back the reservation and the in-flight slot."""
    if ticket is not None:
        _settle_later(ticket, None, None, runtime)


async def settle_when_done(chunks: AsyncIterator[dict], ticket: limits.Ticket | None, call: ProxyCall,
                           reply: ProxyReply, runtime: Runtime) -> AsyncIterator[dict]:
    """Pass a stream through; when it ends (or the client leaves), charge what
    it used: the provider's usage chunk, else a local count of what was sent."""
    if ticket is None:
        async for chunk in chunks:
            yield chunk
        return
    usage: TokenUsage | None = None
    characters = 0
    try:
        async for chunk in chunks:
            if chunk.get("usage"):
                usage = usage_from_openai(chunk["usage"]) or usage
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                characters += len(delta.get("content") or "") + len(choice.get("text") or "")
            yield chunk
    finally:
        if usage is None:
            usage = _counted_locally(call, characters)
        _settle_later(ticket, reply.deployment_id, usage, runtime)


def _counted_locally(call: ProxyCall, characters: int) -> TokenUsage:
    prompt = call.body.get("messages") or call.body.get("prompt") or call.body.get("input") or ""
    return TokenUsage(prompt_tokens=math.ceil(len(orjson.dumps(prompt)) / 4),
                      completion_tokens=math.ceil(characters / 4))


_background: set[asyncio.Task] = set()


def _settle_later(ticket: limits.Ticket, deployment_id: str | None, usage: TokenUsage | None,
                  runtime: Runtime) -> None:
    price = runtime.prices.get(deployment_id) if deployment_id else None
    cost = cost_of(usage, price) if usage and price else Decimal(0)
    tokens = usage.prompt_tokens + usage.completion_tokens if usage else 0
    task = asyncio.get_running_loop().create_task(limits.release(ticket, tokens=tokens, cost=cost))
    _background.add(task)
    task.add_done_callback(_background.discard)
    recorder.add_spend([(scope.kind, scope.id) for scope in ticket.scopes], cost)
