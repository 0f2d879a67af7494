"""gateway/state/capped.py: records kept under per-record, per-owner and total
byte caps, the same against MemoryState and the real Redis (its Lua script)."""
from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from gateway.state.base import SharedState
from gateway.state.capped import CappedRecord, Caps, Saved
from gateway.state.memory import MemoryState
from gateway.state.redis import KEY_PREFIX, RedisState

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
CAPS = Caps(max_record_bytes=100, max_owner_bytes=250, max_total_bytes=400)


@pytest.fixture
def book() -> Iterator[str]:
    """Key prefixes of this test's own; its Redis keys are removed afterwards."""
    name = f"test:{uuid.uuid4().hex}:"
    yield name
    with redis.Redis.from_url(REDIS_URL) as raw:
        keys = list(raw.scan_iter(match=f"{KEY_PREFIX}{name}*"))
        if keys:
            raw.delete(*keys)


@pytest.fixture(params=["memory", "redis"])
def make_state(request) -> Callable[[], SharedState]:
    return MemoryState if request.param == "memory" else (lambda: RedisState(REDIS_URL))


def record(book: str, record_id: str, owner: str, size: int, ttl: float = 60) -> CappedRecord:
    return CappedRecord(book=book + "b:", record_prefix=book + "r:", record_id=record_id, owner=owner,
                        value=record_id.encode().ljust(size, b"."), ttl_seconds=ttl)


def run(make_state, scenario):
    async def main():
        return await scenario(make_state())

    return asyncio.run(main())


async def kept(state: SharedState, book: str, *ids: str) -> list[str]:
    return [record_id for record_id in ids if await state.get(f"{book}r:{record_id}") is not None]


def test_a_record_is_kept_and_read_back_with_get(make_state, book):
    async def scenario(state):
        saved = await state.capped_set(record(book, "a", "alice", 50), CAPS)
        return saved, await state.get(f"{book}r:a")

    assert run(make_state, scenario) == (Saved.STORED, b"a".ljust(50, b"."))


def test_a_record_over_the_record_cap_is_refused_and_not_kept(make_state, book):
    async def scenario(state):
        return await state.capped_set(record(book, "big", "alice", 101), CAPS), await kept(state, book, "big")

    assert run(make_state, scenario) == (Saved.TOO_LARGE, [])


def test_an_owner_past_its_cap_loses_its_own_oldest_records_first(make_state, book):
    async def scenario(state):
        results = [await state.capped_set(record(book, name, "alice", 100), CAPS) for name in ("a1", "a2", "a3")]
        return results, await kept(state, book, "a1", "a2", "a3")

    results, left = run(make_state, scenario)
    assert results == [Saved.STORED] * 3
    assert left == ["a2", "a3"]  # 300 bytes would pass alice's 250


def test_a_full_store_refuses_without_evicting_another_owners_records(make_state, book):
    async def scenario(state):
        for owner in ("alice", "bob"):
            for index in (1, 2):
                assert await state.capped_set(record(book, f"{owner}{index}", owner, 100), CAPS) is Saved.STORED
        refused = await state.capped_set(record(book, "carol1", "carol", 100), CAPS)
        # alice may still replace her own: evicting her oldest makes the room she needs.
        replaced = await state.capped_set(record(book, "alice3", "alice", 100), CAPS)
        return refused, replaced, await kept(state, book, "alice1", "alice2", "alice3", "bob1", "bob2", "carol1")

    refused, replaced, left = run(make_state, scenario)
    assert refused is Saved.FULL
    assert replaced is Saved.STORED
    assert left == ["alice2", "alice3", "bob1", "bob2"]


def test_a_deleted_record_gives_its_bytes_back(make_state, book):
    async def scenario(state):
        for owner in ("alice", "bob"):
            for index in (1, 2):
                await state.capped_set(record(book, f"{owner}{index}", owner, 100), CAPS)
        await state.capped_delete(f"{book}b:", f"{book}r:", "bob1")
        return await state.capped_set(record(book, "carol1", "carol", 100), CAPS), await kept(state, book, "bob1")

    assert run(make_state, scenario) == (Saved.STORED, [])


def test_expired_records_stop_counting_against_the_caps(make_state, book):
    async def scenario(state):
        for owner in ("alice", "bob"):
            for index in (1, 2):
                await state.capped_set(record(book, f"{owner}{index}", owner, 100, ttl=0.2), CAPS)
        await asyncio.sleep(0.3)
        return await state.capped_set(record(book, "carol1", "carol", 100), CAPS)

    assert run(make_state, scenario) is Saved.STORED


def test_saving_an_id_again_replaces_it_without_counting_it_twice(make_state, book):
    async def scenario(state):
        for _ in range(5):
            assert await state.capped_set(record(book, "same", "alice", 100), CAPS) is Saved.STORED
        return await state.capped_set(record(book, "other", "alice", 100), CAPS), await kept(state, book, "same")

    assert run(make_state, scenario) == (Saved.STORED, ["same"])


def test_the_bookkeeping_expires_with_the_records_in_redis(book):
    async def scenario(state):
        await state.capped_set(record(book, "a", "alice", 10, ttl=0.1), CAPS)

    run(lambda: RedisState(REDIS_URL), scenario)
    with redis.Redis.from_url(REDIS_URL) as raw:
        ttls = [raw.pttl(key) for key in raw.scan_iter(match=f"{KEY_PREFIX}{book}b:*")]
    assert ttls and all(0 < ttl <= 100 + 60_000 for ttl in ttls)
