"""Redis first, process memory while Redis is down: an outage degrades shared
state to local state for a few seconds at a time instead of failing requests."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

from gateway.state.base import Increment
from gateway.state.memory import MemoryState
from gateway.state.redis import RedisState
from gateway.state.scripts import Admission, AdmissionResult, Release

logger = logging.getLogger("gateway.state")
T = TypeVar("T")

# After a failure, skip Redis this long so each request does not pay a connect timeout.
RETRY_REDIS_AFTER_SECONDS = 5.0


class ResilientState:
    backend = "redis"

    def __init__(self, primary: RedisState, fallback: MemoryState | None = None) -> None:
        self._primary = primary
        self._fallback = fallback or MemoryState()
        self._down_until = 0.0

    @property
    def is_degraded(self) -> bool:
        return time.monotonic() < self._down_until

    async def _call(self, use: Callable[[RedisState | MemoryState], Awaitable[T]]) -> T:
        if not self.is_degraded:
            try:
                return await use(self._primary)
            except (RedisError, OSError) as exc:
                logger.warning("redis unavailable (%s): using process-local state for %ss",
                               type(exc).__name__, RETRY_REDIS_AFTER_SECONDS)
                self._down_until = time.monotonic() + RETRY_REDIS_AFTER_SECONDS
        return await use(self._fallback)

    @property
    def local_fallback(self) -> MemoryState:
        """What was written here while Redis was down (e.g. queued spend, which a
        flusher must drain too: it stays in this process until then)."""
        return self._fallback

    def forget_now(self, keys: list[str]) -> None:
        self._fallback.forget_now(keys)

    async def ping(self) -> bool:
        return await self._primary.ping()

    async def get(self, key: str) -> bytes | None:
        return await self._call(lambda state: state.get(key))

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        await self._call(lambda state: state.set(key, value, ttl_seconds))

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        return await self._call(lambda state: state.incr(key, amount, ttl_seconds))

    async def delete(self, key: str) -> None:
        await self._call(lambda state: state.delete(key))

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        return await self._call(lambda state: state.get_many(keys))

    async def incr_many(self, increments: list[Increment]) -> list[int]:
        return await self._call(lambda state: state.incr_many(increments))

    async def run_admission(self, admission: Admission) -> AdmissionResult:
        return await self._call(lambda state: state.run_admission(admission))

    async def run_release(self, release: Release) -> None:
        await self._call(lambda state: state.run_release(release))

    async def list_push(self, key: str, value: bytes) -> None:
        await self._call(lambda state: state.list_push(key, value))

    async def list_head(self, key: str, count: int) -> list[bytes]:
        return await self._call(lambda state: state.list_head(key, count))

    async def list_length(self, key: str) -> int:
        return await self._call(lambda state: state.list_length(key))

    async def list_trim_head(self, key: str, count: int, lock_key: str, token: bytes) -> bool:
        # Safe across a switch between Redis and memory mid-batch: the lock is
        # checked where the trim happens, so a trim never lands on the other store.
        return await self._call(lambda state: state.list_trim_head(key, count, lock_key, token))

    async def lock_acquire(self, key: str, token: bytes, ttl_seconds: float) -> bool:
        return await self._call(lambda state: state.lock_acquire(key, token, ttl_seconds))

    async def lock_release(self, key: str, token: bytes) -> None:
        await self._call(lambda state: state.lock_release(key, token))
