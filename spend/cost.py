"""Token usage times a Price, in Decimal USD: the real cost after a call and an
upper-ish estimate before it (what a budget reserves)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from gateway.types import CallType
from spend.pricing import Price

# Completion tokens reserved when the request sets no limit (chat and completions).
DEFAULT_COMPLETION_TOKENS = 4096
# Request fields billed as prompt: chat, completions, embeddings and Responses API.
PROMPT_FIELDS = ("messages", "prompt", "input", "instructions", "tools", "functions")
COMPLETION_LIMIT_FIELDS = ("max_completion_tokens", "max_tokens", "max_output_tokens")
BYTES_PER_TOKEN = 3  # no tokenizer: JSON bytes / 3 over-counts English (~4 per token) on purpose


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """What a call used. `cached_tokens` and `cache_write_tokens` are part of
    `prompt_tokens`, as in OpenAI's usage object."""

    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    cache_write_tokens: int = 0


def cost_of(usage: TokenUsage, price: Price) -> Decimal:
    """USD for `usage` at `price`, exact. Cache reads and writes fall back to the
    input price when the deployment has none. Hot path: a few multiplications."""
    cached = usage.cached_tokens
    written = usage.cache_write_tokens
    # Providers have been seen to report more cached than prompt tokens; never go negative.
    uncached = max(usage.prompt_tokens - cached - written, 0)
    read_rate = price.input_per_token if price.cache_read_per_token is None else price.cache_read_per_token
    write_rate = price.input_per_token if price.cache_write_per_token is None else price.cache_write_per_token
    return (uncached * price.input_per_token
            + cached * read_rate
            + written * write_rate
            + usage.completion_tokens * price.output_per_token)


def usage_from_openai(usage: dict | None) -> TokenUsage | None:
    """The `usage` object of a Chat Completions, Completions, Embeddings or Responses
    API answer (or final stream chunk); None when there is none to read."""
    if not isinstance(usage, dict):
        return None
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        prompt, completion, details = "prompt_tokens", "completion_tokens", "prompt_tokens_details"
    elif "input_tokens" in usage or "output_tokens" in usage:
        prompt, completion, details = "input_tokens", "output_tokens", "input_tokens_details"
    else:
        return None
    prompt_details = usage.get(details)
    if not isinstance(prompt_details, dict):
        prompt_details = {}
    # LiteLLM reports Anthropic's cache writes both at the top level and in the details.
    cache_write = (_count(usage.get("cache_creation_input_tokens"))
                   or _count(prompt_details.get("cache_creation_tokens")))
    return TokenUsage(
        prompt_tokens=_count(usage.get(prompt)),
        completion_tokens=_count(usage.get(completion)),
        cached_tokens=_count(prompt_details.get("cached_tokens")),
        cache_write_tokens=cache_write,
    )


def estimate_cost(body: dict, price: Price, call_kind: str) -> Decimal:
    """An upper-ish cost for a request not yet sent, to reserve against a budget.
    `call_kind` is a CallType value ("chat/completions", "completions", "embeddings").
    Prompt: ceil(JSON bytes of the prompt fields / 3), no tokenizer. Completion: the
    request's own limit (times `n`), else DEFAULT_COMPLETION_TOKENS; none for
    embeddings. Cache discounts are not assumed."""
    prompt_bytes = 0
    for name in PROMPT_FIELDS:
        value = body.get(name)
        if value is not None:
            prompt_bytes += len(orjson.dumps(value, default=str))
    prompt_tokens = -(-prompt_bytes // BYTES_PER_TOKEN)
    if call_kind == CallType.EMBEDDING.value:
        completion_tokens = 0
    else:
        completion_tokens = _completion_limit(body) * _choices(body)
    return cost_of(TokenUsage(prompt_tokens, completion_tokens), price)


def _completion_limit(body: dict) -> int:
    for name in COMPLETION_LIMIT_FIELDS:
        limit = body.get(name)
        if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
            return limit
    return DEFAULT_COMPLETION_TOKENS


def _choices(body: dict) -> int:
    n = body.get("n")
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 1 else 1


def _count(value: Any) -> int:
    """A token count as a provider sent it; anything that is not one counts 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and math.isfinite(value):
        return max(int(value), 0)
    return 0
