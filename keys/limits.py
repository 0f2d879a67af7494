"""Admission, the hot path's limits step: the rpm, tpm and parallel-request
limits and the budgets of every scope a request belongs to (its key, team,
user, end-user, key x model) are checked and reserved in one atomic step of the
shared state, then released with the real usage.

One Redis round trip each for admit() and release() (a Lua script, EVALSHA);
in the embedded mode the same logic runs in Python on process memory. The
scripts are in gateway/state/scripts.py.

Budgets: a request is refused once spend plus the reservations of requests in
flight reached max_budget; otherwise it is admitted and its estimated cost is
reserved until release() replaces it with the real cost. So concurrent requests
overshoot a budget by at most one request's cost, provided estimates are not
below real costs (an estimate of 0 reserves nothing and guarantees nothing).

Money is counted in the shared state as integer nano-dollars (1e-9 USD):
- integers, because Redis adds them atomically and exactly (INCRBY) while
  INCRBYFLOAT, or adding decimal strings in Lua, works in floating point;
- nano rather than micro, because one token costs ~1e-7 USD on small models,
  so micro-dollars would round a small request's cost by a visible fraction;
- int64 nano-dollars hold 9.2 billion USD.
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

from gateway.errors import GatewayError, RateLimited
from gateway.state import shared_state
from gateway.state.base import SharedState
from gateway.state.scripts import (
    SPEND_TTL_SECONDS,
    Admission,
    CounterScope,
    Refusal,
    Release,
    ScopeUsage,
    spend_key,
)

# litellm_settings.budget_exceeded_status_code: 400 up to 1.8x, 429 in 1.95, 422 from 1.110.
DEFAULT_BUDGET_STATUS = 422
NANO_PER_USD = 10**9
PARALLEL_RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True, slots=True)
class Scope:
    """One thing that has limits or a budget: a key, its team, its user, an end-user, or a key x model pair."""

    kind: str  # "api_key" | "team" | "user" | "team_member" | "end_user" | "model_per_key"
    id: str  # the key hash, team id...
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    max_parallel_requests: int | None = None
    max_budget: Decimal | None = None
    spend: Decimal = Decimal(0)  # from the database when loaded: seeds the shared counter if it does not exist

    @property
    def is_limited(self) -> bool:
        return not (self.rpm_limit is None and self.tpm_limit is None and self.max_parallel_requests is None
                    and self.max_budget is None)


@dataclass(frozen=True, slots=True)
class Ticket:
    """What admit() took; release() gives it back."""

    request_id: str
    scopes: tuple[Scope, ...]
    reserved: Decimal  # held on every scope with a budget
    minute: int  # the minute the request was counted in
    headers: dict[str, str] = field(default_factory=dict)  # x-ratelimit-* of the api_key scope, for the answer
    key_spend: Decimal | None = None  # the api_key scope's spend at admission, when its budget was read


class BudgetExceeded(GatewayError):
    """`spend` is what counts against the budget: spent plus reserved by requests in flight."""

    status = DEFAULT_BUDGET_STATUS
    error_type = "budget_exceeded"

    def __init__(self, scope: Scope, spend: Decimal, *, status: int = DEFAULT_BUDGET_STATUS) -> None:
        super().__init__(budget_message(scope, spend), status=status)
        self.scope = scope
        self.spend = spend


class RateLimitExceeded(RateLimited):
    def __init__(self, message: str, *, scope: Scope, limit_type: str, headers: dict[str, str]) -> None:
        super().__init__(message, headers=headers)
        self.scope = scope
        self.limit_type = limit_type


def budget_message(scope: Scope, spend: Decimal) -> str:
    """LiteLLM's wording; it prints Python floats ("1.0", "3.7e-05")."""
    spent, budget = float(spend), float(scope.max_budget or 0)
    if scope.kind == "end_user":
        return f"ExceededBudget: End User={scope.id} over budget. Spend={spent}, Budget={budget}"
    if scope.kind == "user":
        return f"ExceededBudget: User={scope.id} over budget. Spend={spent}, Budget={budget}"
    if scope.kind == "team_member":
        team_id, _, user_id = scope.id.partition(":")
        return (f"Budget has been exceeded! User={user_id} in team={team_id} Current cost: {spent}, "
                f"Max budget: {budget}")
    return f"Budget has been exceeded! Current cost: {spent}, Max budget: {budget}"


async def admit(scopes: Sequence[Scope], *, request_id: str, estimated_cost: Decimal,
                budget_status: int = DEFAULT_BUDGET_STATUS, state: SharedState | None = None) -> Ticket:
    """Check every scope's budget and limits and, only if all pass, count the
    request against all of them and reserve `estimated_cost` on each budget:
    one atomic step, one Redis round trip (none when no scope has a limit).

    Raises BudgetExceeded (status `budget_status`) or RateLimitExceeded (429).
    Every ticket must be released exactly once, also when the request failed.
    """
    distinct = _distinct(scopes)
    now = time.time()
    minute = int(now // 60)
    reserve = max(0, _nano(estimated_cost)) if any(s.max_budget is not None for s in distinct) else 0
    if not any(scope.is_limited for scope in distinct):
        return Ticket(request_id, distinct, _usd(reserve), minute)
    result = await (state or shared_state()).run_admission(
        Admission(tuple(_counters(scope) for scope in distinct), minute, reserve))
    if result.refusal is not None:
        raise _refusal_error(distinct[result.refusal.index], result.refusal, now, budget_status)
    headers, key_spend = {}, None
    for scope, usage in zip(distinct, result.usage):
        if scope.kind == "api_key":
            headers = _usage_headers(scope, usage)
            key_spend = _usd(usage.spend) if scope.max_budget is not None else None
    return Ticket(request_id, distinct, _usd(reserve), minute, headers, key_spend)


async def release(ticket: Ticket, *, tokens: int, cost: Decimal, state: SharedState | None = None) -> None:
    """Give back the ticket's in-flight slot and reservation, add the real cost
    to every scope's spend and the tokens to this minute's tpm counters: one
    atomic step, one Redis round trip (none when there is nothing to record)."""
    cost_nano = max(0, _nano(cost))
    tokens = max(0, tokens)
    reserved = _nano(ticket.reserved)
    has_work = cost_nano > 0 or any(
        scope.max_parallel_requests is not None or (reserved > 0 and scope.max_budget is not None)
        or (tokens > 0 and scope.tpm_limit is not None) for scope in ticket.scopes)
    if not has_work:
        return
    await (state or shared_state()).run_release(Release(
        tuple(_counters(scope) for scope in ticket.scopes), int(time.time() // 60), reserved, cost_nano, tokens))


async def current_spend(scope: Scope, *, state: SharedState | None = None) -> Decimal:
    """The scope's spend as the shared counter has it; `scope.spend` until the counter exists."""
    raw = await (state or shared_state()).get(spend_key(_prefix(scope.kind, scope.id)))
    return _usd(int(raw)) if raw is not None else scope.spend


async def reset_spend(kind: str, id: str, to: Decimal = Decimal(0), *, state: SharedState | None = None) -> None:
    """Set a scope's spend counter (budget resets, spend edits). Reservations of
    requests in flight are kept: they are released as those requests end."""
    await (state or shared_state()).set(spend_key(_prefix(kind, id)), str(_nano(to)).encode(),
                                        ttl_seconds=SPEND_TTL_SECONDS)


def _prefix(kind: str, id: str) -> str:
    return f"lim:{kind}:{id}:"


def _counters(scope: Scope) -> CounterScope:
    return CounterScope(
        prefix=_prefix(scope.kind, scope.id),
        requests_limit=scope.rpm_limit,
        tokens_limit=scope.tpm_limit,
        parallel_limit=scope.max_parallel_requests,
        budget=None if scope.max_budget is None else _nano(scope.max_budget),
        seed_spend=_nano(scope.spend),
    )


def _distinct(scopes: Sequence[Scope]) -> tuple[Scope, ...]:
    """A scope named twice would be counted twice; keep its first mention."""
    seen: set[tuple[str, str]] = set()
    distinct = []
    for scope in scopes:
        if (scope.kind, scope.id) not in seen:
            seen.add((scope.kind, scope.id))
            distinct.append(scope)
    return tuple(distinct)


def _nano(amount: Decimal | int | float) -> int:
    if not isinstance(amount, Decimal):
        amount = Decimal(str(amount))
    return int((amount * NANO_PER_USD).to_integral_value(ROUND_HALF_UP))


def _usd(nano: int) -> Decimal:
    return Decimal(nano) / NANO_PER_USD


def _refusal_error(scope: Scope, refusal: Refusal, now: float, budget_status: int) -> GatewayError:
    if refusal.limit_type == "budget":
        return BudgetExceeded(scope, _usd(refusal.usage.spend + refusal.usage.reserved), status=budget_status)
    to_next_minute = max(1, math.ceil(60 - now % 60))
    is_parallel = refusal.limit_type == "max_parallel_requests"
    retry_after = PARALLEL_RETRY_AFTER_SECONDS if is_parallel else to_next_minute
    limit = {"requests": scope.rpm_limit, "tokens": scope.tpm_limit}.get(refusal.limit_type,
                                                                        scope.max_parallel_requests)
    reset_at = datetime.fromtimestamp(now + retry_after, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    headers = {"retry-after": str(retry_after), "rate_limit_type": refusal.limit_type, "reset_at": reset_at,
               **_usage_headers(scope, refusal.usage, reset_in=to_next_minute)}
    message = (f"Rate limit exceeded for {scope.kind}: {scope.id}. Limit type: {refusal.limit_type}. "
               f"Current limit: {limit}, Remaining: 0. Limit resets at: {reset_at}")
    return RateLimitExceeded(message, scope=scope, limit_type=refusal.limit_type, headers=headers)


def _usage_headers(scope: Scope, usage: ScopeUsage, *, reset_in: int | None = None) -> dict[str, str]:
    headers = {}
    for unit, limit, used in (("requests", scope.rpm_limit, usage.requests), ("tokens", scope.tpm_limit, usage.tokens)):
        if limit is None:
            continue
        headers[f"x-ratelimit-limit-{unit}"] = str(limit)
        headers[f"x-ratelimit-remaining-{unit}"] = str(max(0, limit - used))
        if reset_in is not None:
            headers[f"x-ratelimit-reset-{unit}"] = f"{reset_in}s"
    return headers
