"""The pipeline's last step: what a request cost, settled and logged.

After the answer (or the failure, or the end of a stream, also one the
client cut off): the real cost replaces the budget reservation, the
counters are released, the x-litellm-* spend headers are set, and a
SpendEvent is queued for the spend log. Nothing here waits for the network.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal

import orjson

from gateway.errors import GatewayError
from gateway.proxy.runtime import Runtime
from gateway.types import KeyContext, ProxyCall, ProxyReply, SpendEvent, usage_in_chunk
from keys import limits
from spend import recorder
from spend.cost import TokenUsage, cost_of, usage_from_openai


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a call ended, as far as accounting cares."""

    reply: ProxyReply | None = None
    usage: TokenUsage | None = None
    error: BaseException | None = None
    ttft_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Charge:
    cost: Decimal
    is_priced: bool


_background: set[asyncio.Task] = set()


def settle(call: ProxyCall, key: KeyContext, group: str, ticket: limits.Ticket | None, runtime: Runtime,
           outcome: Outcome) -> Charge:
    """Charge the call, release its ticket and queue its spend log row."""
    reply = outcome.reply
    deployment = runtime.deployment(reply.deployment_id) if reply else None
    price = runtime.price(deployment) if deployment else None
    usage = outcome.usage
    cost = cost_of(usage, price) if usage and price else Decimal(0)
    if ticket is not None:
        tokens = usage.prompt_tokens + usage.completion_tokens if usage else 0
        task = asyncio.get_running_loop().create_task(limits.release(ticket, tokens=tokens, cost=cost))
        _background.add(task)
        task.add_done_callback(_background.discard)
    recorder.record(_event(call, key, group, runtime, outcome, cost, price is not None or reply is None))
    return Charge(cost, price is not None)


def spend_headers(charge: Charge, key: KeyContext, ticket: limits.Ticket | None) -> dict[str, str]:
    headers = {"x-litellm-response-cost": str(float(charge.cost))}
    if not key.is_admin:
        before = ticket.key_spend if ticket and ticket.key_spend is not None else key.key_limits.spend
        headers["x-litellm-key-spend"] = str(float(before + charge.cost))
        if key.key_limits.max_budget is not None:
            headers["x-litellm-key-max-budget"] = str(float(key.key_limits.max_budget))
    return headers


def usage_of(reply: ProxyReply) -> TokenUsage | None:
    return usage_from_openai(reply.reply.body.get("usage")) if reply.reply else None


async def settle_when_done(chunks: AsyncIterator[dict], call: ProxyCall, key: KeyContext, group: str,
                           ticket: limits.Ticket | None, runtime: Runtime, reply: ProxyReply) -> AsyncIterator[dict]:
    """Pass a stream through; when it ends (or the client leaves), settle it with
    the provider's usage chunk, else a local count of what was sent."""
    usage: TokenUsage | None = None
    characters = 0
    first_chunk_at: float | None = None
    error: BaseException | None = None
    try:
        async for chunk in chunks:
            if first_chunk_at is None:
                first_chunk_at = time.time()
            chunk_usage = usage_in_chunk(chunk)
            if chunk_usage:
                usage = usage_from_openai(chunk_usage) or usage
            characters += _characters_in(chunk)
            yield chunk
    except BaseException as exc:
        error = exc
        raise
    finally:
        ttft = (first_chunk_at - call.started_at) * 1000 if first_chunk_at else None
        settle(call, key, group, ticket, runtime,
               Outcome(reply=reply, usage=usage or counted_locally(call, characters), error=error, ttft_ms=ttft))


def _characters_in(chunk: dict) -> int:
    """Generated characters in one chunk: chat/completions choices, or a
    Responses API delta event (text or function-call arguments)."""
    delta = chunk.get("delta")
    if isinstance(delta, str):
        return len(delta)
    characters = 0
    for choice in chunk.get("choices") or ():
        choice_delta = choice.get("delta") or {}
        characters += len(choice_delta.get("content") or "") + len(choice.get("text") or "")
    return characters


def counted_locally(call: ProxyCall, characters: int) -> TokenUsage:
    """About four characters a token: for streams the provider sent no usage for."""
    prompt = call.body.get("messages") or call.body.get("prompt") or call.body.get("input") or ""
    return TokenUsage(prompt_tokens=math.ceil(len(orjson.dumps(prompt)) / 4),
                      completion_tokens=math.ceil(characters / 4))


def _event(call: ProxyCall, key: KeyContext, group: str, runtime: Runtime, outcome: Outcome, cost: Decimal,
           is_priced: bool) -> SpendEvent:
    reply, usage, error = outcome.reply, outcome.usage, outcome.error
    # A provider's error names the deployment that failed: the log row says which (Model health reads it).
    deployment_id = reply.deployment_id if reply else getattr(error, "deployment_id", "") or ""
    deployment = runtime.deployment(deployment_id) if deployment_id else None
    is_failure = error is not None and not isinstance(error, GeneratorExit)
    store_prompts = runtime.config.general_settings.extra.get("store_prompts_in_spend_logs") is True
    response = reply.reply.body if store_prompts and reply and reply.reply else None
    return SpendEvent(
        request_id=call.request_id,
        call_type=call.call_type.value,
        start_time=call.started_at,
        end_time=time.time(),
        api_key=key.token,
        key_alias=key.key_alias,
        team_id=key.team_id,
        user_id=key.user_id,
        end_user=call.end_user,
        model_group=reply.model_group if reply else group,
        model=deployment.entry.model if deployment else "",
        model_id=deployment_id,
        provider=deployment.provider if deployment else "",
        api_base=reply.api_base if reply else "",
        prompt_tokens=usage.prompt_tokens if usage else 0,
        completion_tokens=usage.completion_tokens if usage else 0,
        spend=cost,
        is_priced=is_priced,
        latency_ms=(time.time() - call.started_at) * 1000 if call.started_at else None,
        ttft_ms=outcome.ttft_ms,
        status="failure" if is_failure else "success",
        error_class=type(error).__name__ if is_failure else None,
        error_status=error.status if isinstance(error, GatewayError) else (500 if is_failure else None),
        tags=call.tags,
        metadata=call.metadata,
        messages=(call.body.get("messages") or call.body.get("prompt") or call.body.get("input"))
        if store_prompts else None,
        response=response,
    )
