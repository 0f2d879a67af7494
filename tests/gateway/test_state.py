"""gateway/state: the SharedState contract, held by MemoryState (embedded mode) and
RedisState (against the real Redis; CI has one, so these tests fail without it)."""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest
import redis

from gateway import state as state_module
from gateway.state.base import Increment, SharedState
from gateway.state.memory import MemoryState
from gateway.state.redis import KEY_PREFIX, RedisState
from gateway.state.resilient import ResilientState
from tests.gateway_process import free_port

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its Redis keys are removed afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:"
    yield prefix
    with redis.Redis.from_url(REDIS_URL) as raw:
        keys = list(raw.scan_iter(match=f"{KEY_PREFIX}{prefix}*"))
        if keys:
            raw.delete(*keys)


@pytest.fixture
def raw_redis() -> Iterator[redis.Redis]:
    with redis.Redis.from_url(REDIS_URL) as raw:
        yield raw


@pytest.fixture(params=["memory", "redis"])
def make_state(request, prefix) -> Callable[[], SharedState]:
    """Builds the backend inside the event loop that will use it."""
    return MemoryState if request.param == "memory" else (lambda: RedisState(REDIS_URL))


def run(make_state: Callable[[], SharedState], scenario: Callable[[SharedState], Awaitable]):
    async def main():
        return await scenario(make_state())

    return asyncio.run(main())


def test_a_value_set_is_read_back_as_bytes(make_state, prefix):
    async def scenario(state: SharedState):
        await state.set(prefix + "k", b"value-1")
        return await state.get(prefix + "k"), await state.get(prefix + "missing")

    assert run(make_state, scenario) == (b"value-1", None)


def test_setting_a_key_again_replaces_its_value(make_state, prefix):
    async def scenario(state: SharedState):
        await state.set(prefix + "k", b"old")
        await state.set(prefix + "k", b"new")
        return await state.get(prefix + "k")

    assert run(make_state, scenario) == b"new"


def test_a_value_set_with_a_ttl_expires(make_state, prefix):
    async def scenario(state: SharedState):
        await state.set(prefix + "short", b"v", ttl_seconds=0.1)
        await state.set(prefix + "long", b"v", ttl_seconds=30)
        before = await state.get(prefix + "short")
        await asyncio.sleep(0.25)
        return before, await state.get(prefix + "short"), await state.get(prefix + "long")

    assert run(make_state, scenario) == (b"v", None, b"v")


def test_setting_a_key_again_without_a_ttl_makes_it_permanent(make_state, prefix):
    async def scenario(state: SharedState):
        await state.set(prefix + "k", b"v", ttl_seconds=0.1)
        await state.set(prefix + "k", b"kept")
        await asyncio.sleep(0.25)
        return await state.get(prefix + "k")

    assert run(make_state, scenario) == b"kept"


def test_incr_creates_a_counter_and_accumulates(make_state, prefix):
    async def scenario(state: SharedState):
        totals = [await state.incr(prefix + "c"), await state.incr(prefix + "c", 4), await state.incr(prefix + "c", 10)]
        return totals, await state.get(prefix + "c")

    assert run(make_state, scenario) == ([1, 5, 15], b"15")


def test_a_counter_created_with_a_ttl_expires_and_starts_again(make_state, prefix):
    async def scenario(state: SharedState):
        first = await state.incr(prefix + "c", 2, ttl_seconds=0.2)
        second = await state.incr(prefix + "c", 3, ttl_seconds=0.2)
        await asyncio.sleep(0.35)
        gone = await state.get(prefix + "c")
        again = await state.incr(prefix + "c", 7, ttl_seconds=30)
        return first, second, gone, again

    assert run(make_state, scenario) == (2, 5, None, 7)


def test_later_increments_do_not_extend_the_counters_ttl(make_state, prefix):
    async def scenario(state: SharedState):
        await state.incr(prefix + "c", ttl_seconds=0.4)
        await asyncio.sleep(0.2)
        await state.incr(prefix + "c", ttl_seconds=0.4)  # would live until ~0.6 s if it reset the TTL
        await asyncio.sleep(0.3)
        return await state.get(prefix + "c")

    assert run(make_state, scenario) is None


def test_delete_removes_a_value_and_ignores_a_missing_key(make_state, prefix):
    async def scenario(state: SharedState):
        await state.set(prefix + "k", b"v")
        await state.incr(prefix + "c", 3)
        await state.delete(prefix + "k")
        await state.delete(prefix + "c")
        await state.delete(prefix + "never-set")
        return await state.get(prefix + "k"), await state.incr(prefix + "c")

    assert run(make_state, scenario) == (None, 1)


def test_get_many_reads_values_and_counters_in_the_order_asked(make_state, prefix):
    async def scenario(state: SharedState):
        await state.set(prefix + "a", b"alpha")
        await state.incr(prefix + "n", 3)
        return await state.get_many([prefix + "n", prefix + "missing", prefix + "a"]), await state.get_many([])

    assert run(make_state, scenario) == ([b"3", None, b"alpha"], [])


def test_incr_many_applies_each_increment_and_returns_the_totals_in_order(make_state, prefix):
    async def scenario(state: SharedState):
        await state.incr(prefix + "b", 10)
        totals = await state.incr_many([
            Increment(prefix + "a", 2, ttl_seconds=0.2),
            Increment(prefix + "b", 5),
            Increment(prefix + "a", 3, ttl_seconds=0.2),
            Increment(prefix + "c"),
        ])
        await asyncio.sleep(0.35)
        return totals, await state.get_many([prefix + "a", prefix + "b", prefix + "c"]), await state.incr_many([])

    assert run(make_state, scenario) == ([2, 15, 5, 1], [None, b"15", b"1"], [])


def test_ping_is_true_when_the_store_answers(make_state):
    async def scenario(state: SharedState):
        return await state.ping()

    assert run(make_state, scenario) is True


def test_redis_state_keeps_its_keys_under_the_gateway_prefix_with_the_ttl(prefix, raw_redis):
    async def scenario():
        state = RedisState(REDIS_URL)
        await state.set(prefix + "k", b"v", ttl_seconds=30)
        await state.incr(prefix + "c", 2, ttl_seconds=60)
        await state.incr(prefix + "c", 2, ttl_seconds=1)

    asyncio.run(scenario())

    assert raw_redis.get(f"{KEY_PREFIX}{prefix}k") == b"v"
    assert 0 < raw_redis.pttl(f"{KEY_PREFIX}{prefix}k") <= 30_000
    assert raw_redis.get(f"{KEY_PREFIX}{prefix}c") == b"4"
    assert 1_000 < raw_redis.pttl(f"{KEY_PREFIX}{prefix}c") <= 60_000


def test_redis_state_ping_is_false_not_an_error_when_redis_is_unreachable():
    closed_port = free_port()

    async def scenario():
        return await RedisState(f"redis://127.0.0.1:{closed_port}/0").ping()

    started = time.monotonic()
    assert asyncio.run(scenario()) is False
    assert time.monotonic() - started < 5


def test_with_redis_down_resilient_state_answers_from_process_memory():
    closed_port = free_port()

    async def scenario():
        state = ResilientState(RedisState(f"redis://127.0.0.1:{closed_port}/0"))
        first = await state.incr("c", 2, ttl_seconds=30)
        second = await state.incr("c", 3)
        return first, second, await state.get("c"), state.is_degraded, await state.ping()

    assert asyncio.run(scenario()) == (2, 5, b"5", True, False)


@pytest.fixture
def fresh_shared_state() -> Iterator[None]:
    state_module.reset()
    yield
    state_module.reset()


def test_shared_state_is_memory_without_redis_url_and_kept_across_event_loops(settings, fresh_shared_state):
    settings.REDIS_URL = ""

    async def current():
        return state_module.shared_state()

    first, second = asyncio.run(current()), asyncio.run(current())

    assert first.backend == "memory"
    assert first is second


def test_shared_state_is_redis_with_redis_url_and_rebuilt_for_each_event_loop(settings, fresh_shared_state):
    settings.REDIS_URL = REDIS_URL

    async def current():
        state = state_module.shared_state()
        assert state is state_module.shared_state()  # one per loop
        assert await state.ping() is True
        return state

    first, second = asyncio.run(current()), asyncio.run(current())

    assert first.backend == second.backend == "redis"
    assert first is not second  # a redis.asyncio client cannot be used from another loop


def test_a_gauge_incremented_with_refresh_ttl_does_not_expire_while_in_use(make_state, prefix):
    gauge = f"{prefix}busy"

    async def scenario(state):
        await state.incr_many([Increment(gauge, 1, 0.5, refresh_ttl=True)])
        await asyncio.sleep(0.35)
        await state.incr_many([Increment(gauge, 1, 0.5, refresh_ttl=True)])
        await asyncio.sleep(0.35)
        return await state.get(gauge)

    assert run(make_state, scenario) == b"2"


def test_memory_state_sweeps_expired_counters_nobody_reads_again():
    state = MemoryState()

    async def scenario():
        for minute in range(100):
            await state.incr(f"rpm:{minute}", 1, 0.01)
        await asyncio.sleep(0.02)
        state._next_sweep = 0  # as if a minute had passed
        await state.incr("fresh", 1, 60)

    asyncio.run(scenario())

    assert list(state._values) == ["fresh"]
