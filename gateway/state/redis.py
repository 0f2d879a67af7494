"""Shared state in Redis, so several gateway processes and hosts agree."""
from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, RedisError

from gateway.state.base import Increment
from gateway.state.capped import CAPPED_DELETE, CAPPED_SET, CappedRecord, Caps, Saved, delete_arguments, set_arguments
from gateway.state.pool import FairConnectionPool
from gateway.state.scripts import (
    ADMIT,
    RELEASE,
    Admission,
    AdmissionResult,
    LuaScript,
    Release,
    admission_arguments,
    admission_result,
    release_arguments,
)

logger = logging.getLogger("gateway.state")

KEY_PREFIX = "gw:"

# KEYS: list, lock; ARGV: count, token. Trim only while the token holds the lock.
TRIM_IF_LOCKED = LuaScript.of("""
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[1]), -1)
return 1
""")

# KEYS: lock; ARGV: token. Delete only our own lock, never one taken after ours expired.
RELEASE_IF_OWNED = LuaScript.of("""
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
""")


SOCKET_TIMEOUT_SECONDS = 2.0


class RedisState:
    backend = "redis"

    def __init__(self, url: str, max_connections: int = 100, pool_timeout: float = SOCKET_TIMEOUT_SECONDS) -> None:
        # A call that finds every connection busy waits its turn (up to pool_timeout):
        # a busy pool is load, not an outage, and must not send the process to its
        # local fallback (gateway/state/resilient.py).
        pool = FairConnectionPool.from_url(
            url, max_connections=max_connections, wait_timeout=pool_timeout,
            socket_timeout=SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=SOCKET_TIMEOUT_SECONDS)
        self._client = aioredis.Redis.from_pool(pool)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError) as exc:
            logger.warning("redis ping failed: %s", type(exc).__name__)
            return False

    async def get(self, key: str) -> bytes | None:
        return await self._client.get(KEY_PREFIX + key)

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        await self._client.set(KEY_PREFIX + key, value, px=int(ttl_seconds * 1000) if ttl_seconds else None)

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.incrby(KEY_PREFIX + key, amount)
            if ttl_seconds:
                pipe.pexpire(KEY_PREFIX + key, int(ttl_seconds * 1000), nx=True)
            total, *_ = await pipe.execute()
        return int(total)

    async def delete(self, key: str) -> None:
        await self._client.delete(KEY_PREFIX + key)

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        if not keys:
            return []
        return await self._client.mget([KEY_PREFIX + key for key in keys])

    async def incr_many(self, increments: list[Increment]) -> list[int]:
        if not increments:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for item in increments:
                pipe.incrby(KEY_PREFIX + item.key, item.amount)
                if item.ttl_seconds:
                    pipe.pexpire(KEY_PREFIX + item.key, int(item.ttl_seconds * 1000), nx=not item.refresh_ttl)
            results = await pipe.execute()
        totals, index = [], 0
        for item in increments:
            totals.append(int(results[index]))
            index += 2 if item.ttl_seconds else 1
        return totals

    async def run_admission(self, admission: Admission) -> AdmissionResult:
        keys, args = admission_arguments(admission)
        return admission_result(await self.run_script(ADMIT, keys, args))

    async def run_release(self, release: Release) -> None:
        keys, args = release_arguments(release)
        await self.run_script(RELEASE, keys, args)

    async def list_push(self, key: str, value: bytes) -> None:
        await self._client.rpush(KEY_PREFIX + key, value)

    async def list_head(self, key: str, count: int) -> list[bytes]:
        if count <= 0:
            return []
        return await self._client.lrange(KEY_PREFIX + key, 0, count - 1)

    async def list_length(self, key: str) -> int:
        return int(await self._client.llen(KEY_PREFIX + key))

    async def list_trim_head(self, key: str, count: int, lock_key: str, token: bytes) -> bool:
        return bool(await self.run_script(TRIM_IF_LOCKED, [key, lock_key], [str(count), token]))

    async def capped_set(self, record: CappedRecord, caps: Caps) -> Saved:
        keys, args = set_arguments(record, caps, KEY_PREFIX)
        reply = await self.run_script(CAPPED_SET, keys, args)
        return Saved(reply.decode() if isinstance(reply, bytes) else reply)

    async def capped_delete(self, book: str, record_prefix: str, record_id: str) -> None:
        keys, args = delete_arguments(book, record_prefix, record_id, KEY_PREFIX)
        await self.run_script(CAPPED_DELETE, keys, args)

    async def lock_acquire(self, key: str, token: bytes, ttl_seconds: float) -> bool:
        return bool(await self._client.set(KEY_PREFIX + key, token, nx=True, px=max(1, int(ttl_seconds * 1000))))

    async def lock_release(self, key: str, token: bytes) -> None:
        await self.run_script(RELEASE_IF_OWNED, [key], [token])

    async def run_script(self, script: LuaScript, keys: list[str], args: list[str | bytes]) -> Any:
        """One round trip: EVALSHA; EVAL (which also caches the script) only when this
        Redis has not seen the script yet, e.g. after a restart or SCRIPT FLUSH."""
        prefixed = [KEY_PREFIX + key for key in keys]
        try:
            return await self._client.evalsha(script.sha, len(prefixed), *prefixed, *args)
        except NoScriptError:
            return await self._client.eval(script.source, len(prefixed), *prefixed, *args)
