"""Redis first, process memory while Redis is down: an outage degrades shared
state to local state for a few seconds at a time instead of failing requests."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MasterDownError, MaxConnectionsError, OutOfMemoryError, ReadOnlyError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.errors import GatewayError
from gateway.state.base import Increment
from gateway.state.capped import CappedRecord, Caps, Saved
from gateway.state.memory import MemoryState
from gateway.state.pool import PoolExhausted
from gateway.state.redis import RedisState
from gateway.state.scripts import Admission, AdmissionResult, Release

logger = logging.getLogger("gateway.state")
T = TypeVar("T")

# After a failure, skip Redis this long so each request does not pay a connect timeout.
RETRY_REDIS_AFTER_SECONDS = 5.0
# Replies that mean this Redis cannot keep the counters now (out of memory, a
# read-only replica after a failover, loading, snapshots failing), as opposed to
# a bug in one command, which must surface as an error and not switch the
# process over.
OUTAGE_REPLIES = (OutOfMemoryError, ReadOnlyError, MasterDownError)


def is_outage(exc: BaseException) -> bool:
    """Is this failure Redis being unreachable or unable to serve (fall back),
    rather than load or one bad command (raise)?"""
    if isinstance(exc, MaxConnectionsError):
        return False  # the pool is busy, Redis is fine: not a reason to split state
    if isinstance(exc, (RedisConnectionError, RedisTimeoutError, OSError, *OUTAGE_REPLIES)):
        return True
    return isinstance(exc, ResponseError) and str(exc).startswith("MISCONF")


class ResilientState:
    backend = "redis"

    def __init__(self, primary: RedisState, fallback: MemoryState | None = None) -> None:
        self._primary = primary
        self._fallback = fallback or MemoryState()
        self._down_until = 0.0
        self.fallbacks = 0  # times this process switched to local state (a metric: /health/readiness)

    @property
    def is_degraded(self) -> bool:
        return time.monotonic() < self._down_until

    async def _call(self, use: Callable[[RedisState | MemoryState], Awaitable[T]]) -> T:
        if not self.is_degraded:
            try:
                return await use(self._primary)
            except PoolExhausted as exc:
                # Overload: this call fails (503, retryable), the process keeps its shared state.
                logger.warning("redis busy: %s", exc)
                raise GatewayError("The gateway is overloaded, retry shortly.", status=503) from None
            except Exception as exc:
                if not is_outage(exc):
                    raise
                if self.is_degraded:  # another call saw the same outage first
                    return await use(self._fallback)
                self.fallbacks += 1
                # While local, rate limits and budgets are counted per process: say so loudly.
                logger.error("redis unavailable (%s: %s): using process-local state for %ss "
                             "(fallback %d of this process)", type(exc).__name__, exc,
                             RETRY_REDIS_AFTER_SECONDS, self.fallbacks)
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

    async def capped_set(self, record: CappedRecord, caps: Caps) -> Saved:
        return await self._call(lambda state: state.capped_set(record, caps))

    async def capped_delete(self, book: str, record_prefix: str, record_id: str) -> None:
        await self._call(lambda state: state.capped_delete(book, record_prefix, record_id))

    async def lock_acquire(self, key: str, token: bytes, ttl_seconds: float) -> bool:
        return await self._call(lambda state: state.lock_acquire(key, token, ttl_seconds))

    async def lock_release(self, key: str, token: bytes) -> None:
        await self._call(lambda state: state.lock_release(key, token))
