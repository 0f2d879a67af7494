"""End-users (the `user` of a request; LiteLLM's "customers") on the hot path:
their budget and blocked flag, cached for a few seconds like keys."""
from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from gateway.state import shared_state, shared_state_delete_now
from gateway.types import Limits
from keys.local_cache import MISSING, LocalCache
from keys.models import EndUser

LOCAL_TTL_SECONDS = 1.0
SHARED_TTL_SECONDS = 60.0  # changes through keys/services invalidate at once
MAX_ID_LENGTH = EndUser._meta.get_field("user_id").max_length


@dataclass(frozen=True, slots=True)
class EndUserState:
    limits: Limits
    is_blocked: bool = False


# End-user ids come from the client (`user`): any number of distinct ones may be
# sent, so this process keeps the most recently used only.
_local: LocalCache[EndUserState] = LocalCache(settings.KEY_CACHE_MAX_ENTRIES)


def _load(user_id: str, default_budget: Decimal | None) -> EndUserState:
    close_old_connections()  # runs on a worker thread of its own: see keys.selectors.key_context_off_thread
    row = EndUser.objects.select_related("budget").filter(user_id=user_id).first()
    if row is None:
        return EndUserState(Limits(max_budget=default_budget))
    budget = row.budget
    return EndUserState(
        Limits(rpm=budget.rpm_limit if budget else None, tpm=budget.tpm_limit if budget else None,
               parallel=budget.max_parallel_requests if budget else None,
               max_budget=budget.max_budget if budget and budget.max_budget is not None else default_budget,
               spend=row.spend),
        is_blocked=row.blocked)


def _encode(state: EndUserState) -> bytes:
    limits = state.limits
    return orjson.dumps({"rpm": limits.rpm, "tpm": limits.tpm, "parallel": limits.parallel,
                         "max_budget": str(limits.max_budget) if limits.max_budget is not None else None,
                         "spend": str(limits.spend), "blocked": state.is_blocked})


def _decode(raw: bytes) -> EndUserState:
    data = orjson.loads(raw)
    return EndUserState(Limits(rpm=data["rpm"], tpm=data["tpm"], parallel=data["parallel"],
                               max_budget=Decimal(data["max_budget"]) if data["max_budget"] is not None else None,
                               spend=Decimal(data["spend"])), is_blocked=data["blocked"])


async def end_user_state(user_id: str, default_budget: Decimal | None) -> EndUserState:
    if len(user_id) > MAX_ID_LENGTH:
        # No customer can have this id: nothing to look up, nothing worth caching.
        return EndUserState(Limits(max_budget=default_budget))
    now = time.monotonic()
    cached = _local.get(user_id, now)
    if cached is not MISSING:
        return cached
    state = shared_state()
    raw = await state.get(f"end_user:{user_id}")
    if raw is None:
        found = await sync_to_async(_load, thread_sensitive=False)(user_id, default_budget)
        if state.backend == "redis":  # without Redis, the bounded local table is the only cache
            await state.set(f"end_user:{user_id}", _encode(found), ttl_seconds=SHARED_TTL_SECONDS)
    else:
        found = _decode(raw)
    _local.put(user_id, found, now + LOCAL_TTL_SECONDS)
    return found


def invalidate(user_ids: list[str]) -> None:
    """Forget these end-users here and in the shared state (call after the change commits)."""
    for user_id in user_ids:
        _local.pop(user_id)
    if user_ids:
        shared_state_delete_now([f"end_user:{user_id}" for user_id in user_ids])


def size() -> int:
    """End-users held by this process (a metric: /health/readiness)."""
    return len(_local)


def reset() -> None:
    _local.clear()
