"""Shared state under load, over real HTTP: at 128 concurrent requests on one
gateway process, a busy Redis connection pool makes calls wait their turn; it
never sends the process to process-local counters (which would let two
instances' rate limits and budgets drift apart)."""
from __future__ import annotations

import asyncio
import hashlib
import os

import httpx
import pytest
import redis

from tests.conftest import MASTER_KEY
from tests.keys.helpers import MOCK_CONFIG, generate_key

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")

CONCURRENCY = 128
REQUESTS = 1500


async def hammer(url: str, key: str) -> list[int]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        queue = list(range(REQUESTS))
        statuses: list[int] = []

        async def worker() -> None:
            while queue:
                queue.pop()
                answer = await client.post("/v1/chat/completions", json={
                    "model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}]})
                statuses.append(answer.status_code)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return statuses


def requests_counted_in_redis(key: str) -> int:
    """The key's per-minute request counters, summed, as admission keeps them in Redis."""
    token = hashlib.sha256(key.encode()).hexdigest()
    with redis.Redis.from_url(os.environ["REDIS_URL"]) as raw:
        return sum(int(raw.get(name)) for name in raw.scan_iter(match=f"gw:lim:api_key:{token}:requests:*"))


@pytest.mark.parametrize("pool", [None, "4"])
def test_a_busy_redis_pool_makes_calls_wait_and_never_falls_back_to_local_state(start_gateway, pool):
    """With the default pool, and with a pool of 4 connections for 128 concurrent
    requests: every request answers 200, every one is counted in Redis, and the
    process reports no fallback."""
    gateway = start_gateway(MOCK_CONFIG, env={"REDIS_MAX_CONNECTIONS": pool} if pool else None)
    key = generate_key(gateway, rpm_limit=10_000_000, tpm_limit=10_000_000_000, max_parallel_requests=100_000,
                       max_budget=1000)["key"]

    statuses = asyncio.run(hammer(gateway.url, key))

    assert statuses.count(200) == REQUESTS, {status: statuses.count(status) for status in set(statuses)}
    assert requests_counted_in_redis(key) == REQUESTS
    ready = httpx.get(f"{gateway.url}/health/readiness", timeout=10).json()
    assert ready["cache"] == "redis" and ready["cache_fallbacks"] == 0
    assert "redis unavailable" not in gateway.log()
    assert MASTER_KEY not in gateway.log()
