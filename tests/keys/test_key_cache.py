"""The hot path's key cache over real HTTP, against a flood of made-up keys:
its tables stay bounded (KEY_CACHE_MAX_ENTRIES, reported by readiness), real
keys keep working, and concurrent requests with one unknown key cost one
database lookup, not one each."""
from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid

import httpx
import psycopg
import pytest
import redis

from tests.keys.helpers import MOCK_CONFIG, chat_status, eventually, generate_key

BOUND = 300


def flood(gateway, keys: list[str], connections: int = 4) -> int:
    """GET /v1/models once per key, pipelined on a few connections; the number of 401s."""
    refused = []

    def run(share: list[str]) -> None:
        with socket.create_connection(("127.0.0.1", gateway.port)) as sock:
            sock.settimeout(30)
            for start in range(0, len(share), 100):
                batch = share[start:start + 100]
                sock.sendall(b"".join(f"GET /v1/models HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {key}\r\n\r\n"
                                      .encode() for key in batch))
                received = b""
                while received.count(b"HTTP/1.1 ") < len(batch):
                    received += sock.recv(1 << 20)
                refused.append(received.count(b"HTTP/1.1 401"))

    threads = [threading.Thread(target=run, args=(keys[index::connections],)) for index in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(refused)


def remember_as_unknown(keys: list[str]) -> None:
    """What the shared state says after a lookup found nothing, so the flood is
    quick (no database query per key) and only the process cache is exercised."""
    with redis.Redis.from_url(os.environ["REDIS_URL"]) as raw:
        pipe = raw.pipeline(transaction=False)
        for key in keys:
            pipe.set("gw:key:" + hashlib.sha256(key.encode()).hexdigest(), b"-", px=60_000)
        pipe.execute()


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_a_flood_of_made_up_keys_leaves_the_cache_bounded_and_real_keys_working(start_gateway):
    gateway = start_gateway(MOCK_CONFIG, env={"KEY_CACHE_MAX_ENTRIES": str(BOUND)})
    real = generate_key(gateway)["key"]
    assert chat_status(gateway, real) == 200
    made_up = [f"sk-made-up-{uuid.uuid4().hex}" for _ in range(5 * BOUND)]
    remember_as_unknown(made_up)

    assert flood(gateway, made_up) == len(made_up)

    held = httpx.get(f"{gateway.url}/health/readiness", timeout=10).json()["local_cache"]
    assert 0 < held["unknown_keys"] <= BOUND
    assert held["keys"] <= BOUND
    assert chat_status(gateway, real) == 200


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def lookups_waiting(database: psycopg.Connection) -> int:
    """Gateway connections waiting for the lock this test holds on the key table."""
    return database.execute(
        "SELECT count(*) FROM pg_locks WHERE relation = 'keys_virtualkey'::regclass AND NOT granted").fetchone()[0]


@pytest.mark.skipif(not postgres_url(), reason="needs PostgreSQL (DATABASE_URL)")
def test_concurrent_requests_with_one_unknown_key_share_one_database_lookup(start_gateway):
    gateway = start_gateway(MOCK_CONFIG)
    generate_key(gateway)  # the key table exists and the gateway has answered once
    unknown = f"sk-unknown-{uuid.uuid4().hex}"
    statuses: list[int] = []

    def call() -> None:
        statuses.append(httpx.get(f"{gateway.url}/v1/models", timeout=30,
                                  headers={"Authorization": f"Bearer {unknown}"}).status_code)

    with psycopg.connect(postgres_url(), autocommit=True) as holder, psycopg.connect(postgres_url()) as database:
        # Hold the key table: every lookup that reaches the database waits, where it can be counted.
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE keys_virtualkey IN ACCESS EXCLUSIVE MODE")
        callers = [threading.Thread(target=call) for _ in range(20)]
        for caller in callers:
            caller.start()
        assert eventually(lambda: lookups_waiting(database) > 0, seconds=10)
        time.sleep(1.0)  # time for any other lookup to reach the database too
        waiting = lookups_waiting(database)
        holder.execute("ROLLBACK")
        for caller in callers:
            caller.join()

    assert waiting == 1
    assert statuses == [401] * 20
