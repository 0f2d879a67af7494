"""The process's SharedState: one owner, built lazily per event loop, reset for tests."""
from __future__ import annotations

import asyncio

from django.conf import settings

from gateway.state.base import SharedState

_state: SharedState | None = None
_state_loop: asyncio.AbstractEventLoop | None = None


def shared_state() -> SharedState:
    global _state, _state_loop
    loop = asyncio.get_running_loop()
    if _state is None or (_state.backend == "redis" and _state_loop is not loop):
        if settings.REDIS_URL:
            from gateway.state.redis import RedisState
            from gateway.state.resilient import ResilientState

            _state = ResilientState(RedisState(settings.REDIS_URL, max_connections=settings.REDIS_MAX_CONNECTIONS,
                                               pool_timeout=settings.REDIS_POOL_TIMEOUT_SECONDS))
        else:
            from gateway.state.memory import MemoryState

            _state = MemoryState()
        _state_loop = loop
    return _state


def fallback_count() -> int:
    """How often this process has switched to local state since it started
    (Redis unreachable or unable to serve); 0 without Redis."""
    from gateway.state.resilient import ResilientState

    return _state.fallbacks if isinstance(_state, ResilientState) else 0


def reset() -> None:
    global _state, _state_loop
    _state, _state_loop = None, None


def shared_state_delete_now(keys: list[str]) -> None:
    """Delete keys from synchronous code (management services, after a commit).

    Uses a short-lived synchronous Redis connection when REDIS_URL is set, and
    the process's memory state otherwise (and as well, in case Redis was down
    and the memory fallback holds a copy).
    """
    if settings.REDIS_URL:
        import redis

        from gateway.state.redis import KEY_PREFIX

        client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.delete(*[KEY_PREFIX + key for key in keys])
        finally:
            client.close()
    if _state is not None:
        _state.forget_now(keys)
