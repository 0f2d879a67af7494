"""spend/queue.py and spend/recorder.py: where spend waits for the spend log
(held in the process, with a copy in Redis), and the shared state's list and
lock under the copies. List cases run against MemoryState (embedded mode) and
a real RedisState (CI has one)."""
from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal

import orjson
import pytest

from gateway import state as state_module
from gateway.state.base import SharedState
from gateway.state.memory import MemoryState
from gateway.state.redis import RedisState
from gateway.state.resilient import ResilientState
from gateway.types import SpendEvent
from spend import flusher, queue, recorder
from spend.queue import MalformedItem, QueueNames
from spend.held import held_items
from tests.gateway_process import free_port
from tests.spend.events import REDIS_URL



def spend_event(request_id: str | None = None, **fields) -> SpendEvent:
    defaults = {"call_type": "chat/completions", "start_time": 1_780_000_000.25, "end_time": 1_780_000_001.5,
                "api_key": "k" * 64, "model_group": "gpt-4.1", "prompt_tokens": 10, "completion_tokens": 5,
                "spend": Decimal("0.00012345")}
    return SpendEvent(request_id=request_id or uuid.uuid4().hex, **{**defaults, **fields})


@pytest.fixture(params=["memory", "redis"])
def run(request, names) -> Callable[[Callable[[SharedState], Awaitable]], object]:
    """Runs a scenario against the backend; a RedisState is built inside the loop that uses it."""
    memory = MemoryState()

    def run_scenario(scenario: Callable[[SharedState], Awaitable]):
        async def main():
            state = memory if request.param == "memory" else RedisState(REDIS_URL)
            try:
                return await scenario(state)
            finally:
                if isinstance(state, RedisState):
                    await state.aclose()

        return asyncio.run(main())

    return run_scenario


@pytest.fixture
def memory_mode(settings) -> Iterator[None]:
    settings.REDIS_URL = ""
    state_module.reset()
    yield
    state_module.reset()


def test_an_event_survives_encoding_exactly():
    event = spend_event(spend=Decimal("0.0000001234567891"), tags=("a", "b"), metadata={"n": Decimal("1.5")},
                        end_user="cust", error_status=None, messages=[{"role": "user", "content": "hi"}])

    decoded = queue.decode(queue.encode(event))

    assert decoded == dataclasses.replace(event, metadata={"n": "1.5"})
    assert decoded.spend == Decimal("0.0000001234567891") and decoded.tags == ("a", "b")


def test_money_is_queued_as_a_string():
    assert orjson.loads(queue.encode(spend_event(spend=Decimal("0.1"))))["spend"] == "0.1"


def test_metadata_orjson_cannot_write_is_dropped_not_the_event():
    event = spend_event(metadata={"huge": 2 ** 70}, spend=Decimal("2"))

    decoded = queue.decode(queue.encode(event))

    assert decoded.metadata == {} and decoded.spend == 2


def test_fields_a_newer_gateway_added_are_ignored():
    payload = orjson.loads(queue.encode(spend_event("req-1")))
    payload["added_later"] = 1

    assert queue.decode(orjson.dumps(payload)).request_id == "req-1"


@pytest.mark.parametrize("item", [
    b"not json",
    b"[1, 2]",
    b'{"call_type": "chat/completions", "start_time": 1, "end_time": 2}',  # no request_id
    b'{"request_id": "", "call_type": "x", "start_time": 1, "end_time": 2}',
    b'{"request_id": 5, "call_type": "x", "start_time": 1, "end_time": 2}',
    b'{"request_id": "r", "call_type": "x", "start_time": "yesterday", "end_time": 2}',
    b'{"request_id": "r", "call_type": "x", "start_time": 1, "end_time": 2, "spend": "lots"}',
    b'{"request_id": "r", "call_type": "x", "start_time": 1, "end_time": 2, "spend": "NaN"}',
    b'{"request_id": "r", "call_type": "x", "start_time": 1, "end_time": 2, "prompt_tokens": true}',
    b'{"request_id": "r", "call_type": "x", "start_time": 1, "end_time": 2, "tags": [1]}',
    b'{"request_id": "r", "call_type": "x", "start_time": 1, "end_time": 2, "metadata": []}',
])
def test_an_item_that_is_not_a_spend_event_is_malformed(item):
    with pytest.raises(MalformedItem):
        queue.decode(item)


def test_an_enqueued_event_is_held_in_the_process_and_copied_to_the_list_in_order(run, names):
    first, second = spend_event("first"), spend_event("second")

    async def scenario(state: SharedState):
        await queue.enqueue(first, names=names, state=state)
        await queue.enqueue(second, names=names, state=state)
        return await state.list_head(names.items, 10)

    copies = run(scenario)
    assert queue.pending() == 2
    assert [queue.decode(item).request_id for item in held_items().take(10)] == ["first", "second"]
    assert [queue.decode(item).request_id for item in copies] == ["first", "second"]


def test_reading_the_head_removes_nothing(run, names):
    async def scenario(state: SharedState):
        for index in range(5):
            await state.list_push(names.items, b"%d" % index)
        return await state.list_head(names.items, 3), await state.list_head(names.items, 3), \
            await state.list_length(names.items)

    assert run(scenario) == ([b"0", b"1", b"2"], [b"0", b"1", b"2"], 5)


def test_the_lock_has_one_holder_at_a_time_and_expires(run, names):
    async def scenario(state: SharedState):
        taken = await state.lock_acquire(names.lock, b"one", 0.2)
        refused = await state.lock_acquire(names.lock, b"two", 10)
        await state.lock_release(names.lock, b"two")  # not its lock: no effect
        still_refused = await state.lock_acquire(names.lock, b"two", 10)
        await asyncio.sleep(0.3)
        after_expiry = await state.lock_acquire(names.lock, b"two", 10)
        await state.lock_release(names.lock, b"two")
        after_release = await state.lock_acquire(names.lock, b"three", 10)
        return taken, refused, still_refused, after_expiry, after_release

    assert run(scenario) == (True, False, False, True, True)


def test_only_the_lock_holder_trims_the_head(run, names):
    async def scenario(state: SharedState):
        for index in range(5):
            await state.list_push(names.items, b"%d" % index)
        without_lock = await state.list_trim_head(names.items, 2, names.lock, b"me")
        await state.lock_acquire(names.lock, b"someone-else", 10)
        with_their_lock = await state.list_trim_head(names.items, 2, names.lock, b"me")
        await state.lock_release(names.lock, b"someone-else")
        await state.lock_acquire(names.lock, b"me", 10)
        with_my_lock = await state.list_trim_head(names.items, 2, names.lock, b"me")
        return without_lock, with_their_lock, with_my_lock, await state.list_head(names.items, 10)

    assert run(scenario) == (False, False, True, [b"2", b"3", b"4"])


def test_trimming_everything_empties_the_list(run, names):
    async def scenario(state: SharedState):
        await state.list_push(names.items, b"a")
        await state.lock_acquire(names.lock, b"me", 10)
        await state.list_trim_head(names.items, 5, names.lock, b"me")
        return await state.list_length(names.items), await state.list_head(names.items, 5)

    assert run(scenario) == (0, [])


@pytest.fixture
def redis_at(settings) -> Iterator[Callable[[str], None]]:
    """Point the process's shared state at a Redis URL for the test."""
    def point(url: str) -> None:
        settings.REDIS_URL = url
        state_module.reset()

    yield point
    state_module.reset()


def test_record_holds_the_event_at_once_and_pushes_its_copy_in_the_background(redis_at, names):
    redis_at(REDIS_URL)

    async def scenario():
        queue.enqueue_soon(spend_event("hot-path"), names=names)
        held_before_any_await = queue.pending()
        await queue.pushes_done(5)
        copies = await state_module.shared_state().list_head(names.items, 10)
        return held_before_any_await, copies

    held_before_any_await, copies = asyncio.run(scenario())
    assert held_before_any_await == 1
    assert [queue.decode(item).request_id for item in copies] == ["hot-path"]


def test_while_redis_is_known_to_be_down_an_event_is_held_without_a_copy(redis_at, names):
    redis_at(f"redis://127.0.0.1:{free_port()}/0")

    async def scenario():
        queue.enqueue_soon(spend_event("first"), names=names)  # its push finds Redis down
        await queue.pushes_done(5)
        queue.enqueue_soon(spend_event("second"), names=names)  # Redis is known to be down: no push at all
        state = state_module.shared_state()
        return state.is_degraded, await state.local_fallback.list_length(names.items)

    is_degraded, copies_in_memory = asyncio.run(scenario())
    assert is_degraded and copies_in_memory == 1
    assert [queue.decode(item).request_id for item in held_items().take(10)] == ["first", "second"]


def test_past_the_held_limit_a_new_event_is_kept_only_as_its_copy_in_redis(redis_at, names):
    redis_at(REDIS_URL)
    for _ in range(queue.MAX_HELD_ITEMS):
        held_items().add(b"{}")

    async def scenario():
        queue.enqueue_soon(spend_event("overflow"), names=names)
        await queue.pushes_done(5)
        return await state_module.shared_state().list_head(names.items, 10)

    copies = asyncio.run(scenario())
    assert queue.pending() == queue.MAX_HELD_ITEMS
    assert [queue.decode(item).request_id for item in copies] == ["overflow"]


def test_without_redis_every_event_is_held_whatever_the_limit(memory_mode):
    for _ in range(queue.MAX_HELD_ITEMS):
        held_items().add(b"{}")

    async def scenario():
        recorder.record(spend_event("embedded"))
        await flusher.stop()

    asyncio.run(scenario())
    assert queue.pending() == queue.MAX_HELD_ITEMS + 1


def test_the_copies_are_swept_from_both_redis_and_the_outage_memory():
    state = ResilientState(RedisState(REDIS_URL))

    assert queue.stores(state) == [state, state.local_fallback]
    assert queue.stores(MemoryState())[0].backend == "memory"


def test_record_holds_the_event_at_once_in_memory_mode(memory_mode):
    async def scenario():
        recorder.record(spend_event("hot-path"))
        held_before_any_await = held_items().take(10)
        await flusher.stop()
        return held_before_any_await

    assert [queue.decode(item).request_id for item in asyncio.run(scenario())] == ["hot-path"]


def test_the_time_a_copy_was_recorded_is_read_from_its_end_time():
    assert queue.recorded_at(queue.encode(spend_event(end_time=1_780_000_001.5))) == 1_780_000_001.5
    assert queue.recorded_at(b"{not json") is None
    assert queue.recorded_at(b'{"end_time": "soon"}') is None


def test_record_never_raises_outside_an_event_loop(memory_mode):
    recorder.record(spend_event())
