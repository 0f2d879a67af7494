"""The key cache of the hot path: process memory for a second, then the shared
state (Redis), then the database.

A change to a key or team deletes its entries from the shared state when the
change commits; every process's own copy lives one second at most, so a
blocked, deleted or regenerated key stops working everywhere within about a
second, with no database query per request.

Unknown keys (guesses, revoked keys still in use) are remembered too, for a
second here and a few seconds in the shared state, in a table of their own: a
flood of them costs one database query per distinct key at most (concurrent
requests with the same key share it) and never pushes real keys out of the
cache. Both tables are bounded.
"""
from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from dataclasses import asdict, fields
from decimal import Decimal

import orjson
from asgiref.sync import sync_to_async
from django.conf import settings

from gateway.state import shared_state, shared_state_delete_now
from gateway.types import KeyContext, Limits
from keys import selectors
from keys.local_cache import MISSING, LocalCache

LOCAL_TTL_SECONDS = 1.0
SHARED_TTL_SECONDS = 600
UNKNOWN_TTL_SECONDS = 5  # remember unknown keys briefly, so guessing does not hammer the database
UNKNOWN = b"-"
SECOND_DELETE_AFTER_SECONDS = 1.0
# Keys and unknown keys seen by this process within the last second, up to
# KEY_CACHE_MAX_ENTRIES each: beyond, the least recently used go first.
_known: LocalCache[KeyContext] = LocalCache(settings.KEY_CACHE_MAX_ENTRIES)
_unknown: LocalCache[bool] = LocalCache(settings.KEY_CACHE_MAX_ENTRIES)
# Lookups under way, so concurrent requests with the same uncached key share one.
_lookups: dict[str, asyncio.Future] = {}


# Part of the shared key: a cached context written by a release with other
# fields (say, before user_models existed) is never read back as complete.
CONTEXT_SHAPE = hashlib.sha256(",".join(field.name for field in fields(KeyContext)).encode()).hexdigest()[:8]


def _shared_key(token: str) -> str:
    return f"key:{CONTEXT_SHAPE}:{token}"


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
    for name, value in data.items():
        if isinstance(value, list):  # JSON has no tuples; every sequence of a KeyContext is one
            data[name] = tuple(value)
    return KeyContext(**data)


async def get_key(token: str) -> KeyContext | None:
    """The key's context, or None when no such key exists."""
    now = time.monotonic()
    context = _known.get(token, now)
    if context is not MISSING:
        return context
    if _unknown.get(token, now) is not MISSING:
        return None
    loop = asyncio.get_running_loop()
    lookup = _lookups.get(token)
    if lookup is None or lookup.get_loop() is not loop:
        lookup = _lookups[token] = loop.create_task(_look_up(token))
        lookup.add_done_callback(lambda done: _lookups.pop(token, None) if _lookups.get(token) is done else None)
    # Shielded: a client that goes away must not cancel the lookup others wait on.
    return await asyncio.shield(lookup)


async def _look_up(token: str) -> KeyContext | None:
    """Shared state, then the database; the answer is cached in both layers."""
    state = shared_state()
    raw = await state.get(_shared_key(token))
    if raw is None:
        context = await sync_to_async(selectors.key_context_off_thread, thread_sensitive=False)(token)
        if state.backend == "redis":
            ttl = SHARED_TTL_SECONDS if context else UNKNOWN_TTL_SECONDS
            await state.set(_shared_key(token), encode(context) if context else UNKNOWN, ttl_seconds=ttl)
        elif context is not None:
            # Without Redis the "shared" layer is this process's memory, which no other
            # process can invalidate: as short-lived as the local copy. Unknown keys are
            # not kept there: the bounded local table is enough in one process.
            await state.set(_shared_key(token), encode(context), ttl_seconds=LOCAL_TTL_SECONDS)
    else:
        context = None if raw == UNKNOWN else decode(raw)
    # Unknown keys, too, only a second here: a key created meanwhile (any process
    # deletes the shared entry) must start working as soon as a changed one stops.
    table = _known if context is not None else _unknown
    table.put(token, context if context is not None else True, time.monotonic() + LOCAL_TTL_SECONDS)
    return context


def invalidate(tokens: list[str]) -> None:
    """Forget these keys here and in the shared state (call after the change commits).

    Deleted twice: a process that read the database just before the commit may
    write its stale copy back to the shared state just after the first delete.
    """
    if not tokens:
        return
    for token in tokens:
        _known.pop(token)
        _unknown.pop(token)
    keys = [_shared_key(token) for token in tokens]
    shared_state_delete_now(keys)
    timer = threading.Timer(SECOND_DELETE_AFTER_SECONDS, shared_state_delete_now, args=(keys,))
    timer.daemon = True
    timer.start()


def sizes() -> dict[str, int]:
    """Entries held by this process (a metric: /health/readiness)."""
    return {"keys": len(_known), "unknown_keys": len(_unknown)}


def reset() -> None:
    _known.clear()
    _unknown.clear()
    _lookups.clear()
