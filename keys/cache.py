"""The key cache of the hot path: process memory for a second, then the shared
state (Redis), then the database.

A change to a key or team deletes its entries from the shared state when the
change commits; every process's own copy lives one second at most, so a
blocked, deleted or regenerated key stops working everywhere within about a
second, with no database query per request.
"""
from __future__ import annotations

import threading
import time
from dataclasses import asdict
from decimal import Decimal

import orjson
from asgiref.sync import sync_to_async

from gateway.state import shared_state, shared_state_delete_now
from gateway.types import KeyContext, Limits
from keys import selectors

LOCAL_TTL_SECONDS = 1.0
SHARED_TTL_SECONDS = 600
UNKNOWN_TTL_SECONDS = 5  # remember unknown keys briefly, so guessing does not hammer the database
UNKNOWN = b"-"
SECOND_DELETE_AFTER_SECONDS = 1.0

_local: dict[str, tuple[KeyContext | None, float]] = {}


def _shared_key(token: str) -> str:
    return f"key:{token}"


def encode(context: KeyContext) -> bytes:
    return orjson.dumps(asdict(context), default=str)


def decode(raw: bytes) -> KeyContext:
    data = orjson.loads(raw)
    for name in ("key_limits", "team_limits", "user_limits"):
        limits = data[name]
        for money in ("max_budget", "soft_budget", "spend"):
            if limits[money] is not None:
                limits[money] = Decimal(limits[money])
        data[name] = Limits(**limits)
    for name in ("models", "team_models", "allowed_routes", "tags"):
        data[name] = tuple(data[name])
    return KeyContext(**data)


async def get_key(token: str) -> KeyContext | None:
    """The key's context, or None when no such key exists."""
    now = time.monotonic()
    cached = _local.get(token)
    if cached is not None and cached[1] > now:
        return cached[0]
    state = shared_state()
    raw = await state.get(_shared_key(token))
    if raw is None:
        context = await sync_to_async(selectors.key_context_off_thread, thread_sensitive=False)(token)
        # Without Redis the "shared" layer is this process's memory, which no other
        # process can invalidate: keep it as short-lived as the local copy.
        ttl = SHARED_TTL_SECONDS if context and state.backend == "redis" else (
            LOCAL_TTL_SECONDS if context else UNKNOWN_TTL_SECONDS)
        await state.set(_shared_key(token), encode(context) if context else UNKNOWN, ttl_seconds=ttl)
    else:
        context = None if raw == UNKNOWN else decode(raw)
    _local[token] = (context, now + LOCAL_TTL_SECONDS)
    return context


def invalidate(tokens: list[str]) -> None:
    """Forget these keys here and in the shared state (call after the change commits).

    Deleted twice: a process that read the database just before the commit may
    write its stale copy back to the shared state just after the first delete.
    """
    if not tokens:
        return
    for token in tokens:
        _local.pop(token, None)
    keys = [_shared_key(token) for token in tokens]
    shared_state_delete_now(keys)
    timer = threading.Timer(SECOND_DELETE_AFTER_SECONDS, shared_state_delete_now, args=(keys,))
    timer.daemon = True
    timer.start()


def reset() -> None:
    _local.clear()
