"""spend/flusher.py: each process writes the spend it holds, forgetting a batch
only once committed; a sweep writes the Redis copies a dead process left;
shutdown writes what is held. Against MemoryState and a real RedisState, and
the test database (PostgreSQL when DATABASE_URL is set)."""
from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from gateway import state as state_module
from gateway.state.base import SharedState
from gateway.state.memory import MemoryState
from gateway.state.redis import RedisState
from gateway.types import SpendEvent
from keys.models import EndUser, VirtualKey
from keys.services.common import MASTER
from keys.services.keys import key_generate
from spend import flusher, queue, recorder
from spend.held import held_items
from spend.models import SpendLog
from spend.queue import QueueNames
from tests.gateway_process import free_port
from tests.spend.events import REDIS_URL, logged, spend_event, total

pytestmark = pytest.mark.django_db(transaction=True)


class Backend:
    """One test's shared state: a MemoryState kept across event loops, or a
    RedisState built inside each loop that uses it (redis-py binds to its loop)."""

    def __init__(self, kind: str, names: QueueNames) -> None:
        self.kind, self.names = kind, names
        self._memory = MemoryState()

    def state(self) -> SharedState:
        return self._memory if self.kind == "memory" else RedisState(REDIS_URL)

    def run(self, scenario: Callable[[SharedState], Awaitable]):
        async def main():
            state = self.state()
            try:
                return await scenario(state)
            finally:
                if isinstance(state, RedisState):
                    await state.aclose()

        return asyncio.run(main())

    def hold(self, *events: SpendEvent) -> None:
        """Held by this process, with copies in the list: what recording does."""
        async def scenario(state):
            for event in events:
                await queue.enqueue(event, names=self.names, state=state)

        self.run(scenario)

    def copy(self, *events: SpendEvent) -> None:
        """Only copies in the list: what a process that died left behind."""
        async def scenario(state):
            for event in events:
                await queue.back_up(queue.encode(event), names=self.names, state=state)

        self.run(scenario)

    def flush_held(self, max_batch: int = 500) -> int:
        return self.run(lambda state: flusher.flush_held(max_batch, names=self.names, state=state))

    def sweep(self, max_batch: int = 500, older_than: float | None = None) -> int:
        return self.run(lambda state: flusher.sweep_copies(max_batch, names=self.names, state=state,
                                                           older_than=older_than))

    def copies(self) -> int:
        return self.run(lambda state: queue.copies_waiting(names=self.names, state=state))

    def dead(self) -> list[bytes]:
        return self.run(lambda state: state.list_head(self.names.dead, 100))


@pytest.fixture(params=["memory", "redis"])
def backend(request, names) -> Backend:
    return Backend(request.param, names)


@pytest.fixture
def own_key() -> VirtualKey:
    key, _ = key_generate(MASTER, {"key_alias": "own-key"})
    return key


@contextmanager
def table_moved_away(model: type[Model]) -> Iterator[None]:
    """A real database failure: the model's table is renamed for the block."""
    table = model._meta.db_table
    with connection.schema_editor() as editor:
        editor.alter_db_table(model, table, table + "_away")
    try:
        yield
    finally:
        with connection.schema_editor() as editor:
            editor.alter_db_table(model, table + "_away", table)


def test_held_events_are_written_and_then_forgotten(backend, own_key):
    backend.hold(*[spend_event(key=own_key, spend=Decimal("0.1")) for _ in range(5)])

    assert backend.flush_held(max_batch=3) == 3
    assert queue.pending() == 2
    assert backend.flush_held() == 2
    assert backend.flush_held() == 0

    assert queue.pending() == 0
    assert SpendLog.objects.count() == 5
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("0.5")


def test_a_database_failure_keeps_the_batch_held_and_a_later_flush_writes_it(backend, own_key):
    backend.hold(*[spend_event(key=own_key, spend=Decimal("0.25")) for _ in range(3)])

    with table_moved_away(SpendLog):
        with pytest.raises(DatabaseError):
            backend.flush_held()
        assert queue.pending() == 3

    assert backend.flush_held() == 3
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("0.75")


def test_a_held_event_whose_copy_redis_lost_is_still_written(backend, own_key):
    backend.hold(spend_event("req-1", key=own_key, spend=Decimal("0.25")))
    backend.run(lambda state: state.delete(backend.names.items))  # a flush, failover or eviction

    backend.flush_held()

    assert total(VirtualKey, token=own_key.token) == logged(request_id="req-1") == Decimal("0.25")


def test_a_malformed_held_item_goes_to_the_dead_list_and_the_rest_is_written(backend):
    held_items().add(b"{not json")
    backend.hold(spend_event("good"))

    assert backend.flush_held() == 2

    assert list(SpendLog.objects.values_list("request_id", flat=True)) == ["good"]
    assert backend.dead() == [b"{not json"]
    assert queue.pending() == 0


def waiting_on_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction sees one snapshot throughout
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock'")
        return cursor.fetchone()[0]


def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks and concurrent transactions")
def test_a_flush_cancelled_mid_write_holds_its_batch_again_and_it_is_counted_once(own_key, memory_mode):
    """Shutdown cancels the background flusher while its thread writes: whether
    or not that thread commits, the batch stays held, and writing it again
    changes nothing."""
    outcome: dict[str, object] = {}

    def cancel_mid_write() -> None:
        async def scenario():
            recorder.record(spend_event("req-1", key=own_key, spend=Decimal("0.25")))
            await flusher.stop()  # record() started the background flusher; this test flushes by hand
            write = asyncio.ensure_future(flusher.flush_held())
            await asyncio.to_thread(until, lambda: waiting_on_locks() == 1)
            write.cancel()
            await asyncio.gather(write, return_exceptions=True)
            outcome["held after cancel"] = queue.pending()

        asyncio.run(scenario())

    with transaction.atomic():  # hold the key's row: the write stops after inserting its row
        VirtualKey.objects.select_for_update().get(token=own_key.token)
        thread = threading.Thread(target=cancel_mid_write)
        thread.start()
        until(lambda: "held after cancel" in outcome)
    thread.join(10)
    until(lambda: SpendLog.objects.filter(request_id="req-1").exists())  # the cancelled thread committed

    assert outcome["held after cancel"] == 1
    assert asyncio.run(flusher.flush_held()) == 1
    assert queue.pending() == 0
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("0.25")


def test_the_sweep_writes_copies_a_dead_process_left_and_trims_them(backend, own_key):
    backend.copy(*[spend_event(key=own_key, spend=Decimal("0.01")) for _ in range(7)])

    assert backend.sweep(max_batch=5) == 5
    assert backend.sweep() == 2
    assert backend.sweep() == 0

    assert backend.copies() == 0
    assert SpendLog.objects.count() == 7
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("0.07")


def test_the_sweep_leaves_copies_younger_than_their_owner_needs_to_write_them(backend, own_key):
    now = time.time()
    old, young = [spend_event(key=own_key, end_time=now - 60) for _ in range(2)], [spend_event(end_time=now)]
    backend.copy(*old, *young, spend_event(end_time=now - 60))  # behind a young one: waits with it

    assert backend.sweep() == 2

    assert sorted(SpendLog.objects.values_list("request_id", flat=True)) == sorted(e.request_id for e in old)
    assert backend.copies() == 2
    assert backend.sweep(older_than=0) == 2


def test_copies_their_owner_already_wrote_are_trimmed_and_counted_once(backend, own_key):
    events = [spend_event(key=own_key, spend=Decimal("0.5")) for _ in range(3)]
    backend.hold(*events)
    backend.flush_held()

    assert backend.sweep() == 3

    assert backend.copies() == 0
    assert SpendLog.objects.count() == 3
    assert total(VirtualKey, token=own_key.token) == Decimal("1.5")


def test_a_database_failure_during_a_sweep_keeps_the_copies(backend, own_key):
    backend.copy(spend_event(key=own_key, spend=Decimal("0.25")))

    with table_moved_away(SpendLog):
        with pytest.raises(DatabaseError):
            backend.sweep()
    assert backend.copies() == 1

    assert backend.sweep() == 1  # the failed sweep gave its lock back
    assert total(VirtualKey, token=own_key.token) == Decimal("0.25")


def test_a_malformed_copy_goes_to_the_dead_list(backend):
    async def scenario(state):
        await state.list_push(backend.names.items, b"{not json")
        await queue.back_up(queue.encode(spend_event("good")), names=backend.names, state=state)

    backend.run(scenario)

    assert backend.sweep() == 2
    assert list(SpendLog.objects.values_list("request_id", flat=True)) == ["good"]
    assert backend.dead() == [b"{not json"]


def test_two_sweeps_at_once_never_count_twice(backend, own_key):
    """Each sweep has a client of its own; the lock gives each batch to one of them."""
    events = [spend_event(key=own_key, spend=Decimal("0.01")) for _ in range(60)]
    backend.copy(*events, *events[:20])  # some copied twice

    async def sweep_until_empty(state: SharedState) -> int:
        swept = 0
        for _ in range(1000):  # bounded: a sweep that never empties the list fails the test, not hangs it
            if not await queue.copies_waiting(names=backend.names, state=state):
                break
            try:
                swept += await flusher.sweep_copies(7, names=backend.names, state=state)
            except DatabaseError:  # SQLite: the other writer holds the database; retried like in production
                pass
            await asyncio.sleep(0)
        return swept

    async def scenario(_):
        states = [backend.state(), backend.state()]
        try:
            return await asyncio.gather(*(sweep_until_empty(state) for state in states))
        finally:
            for state in states:
                if isinstance(state, RedisState):
                    await state.aclose()

    counts = backend.run(scenario)

    assert sum(counts) == 80
    assert SpendLog.objects.count() == 60
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("0.60")


def test_drain_writes_everything_held(backend, own_key):
    backend.hold(*[spend_event(key=own_key) for _ in range(25)])

    assert backend.run(lambda state: flusher.drain(5, names=backend.names, state=state)) is True
    assert SpendLog.objects.count() == 25
    assert queue.pending() == 0


def test_drain_gives_up_after_its_timeout_while_the_database_is_down(backend):
    backend.hold(spend_event())

    with table_moved_away(SpendLog):
        assert backend.run(lambda state: flusher.drain(0.3, names=backend.names, state=state)) is False
    assert queue.pending() == 1


@pytest.fixture
def redis_down(settings) -> Iterator[None]:
    """The process's shared state points at a port where no Redis listens."""
    for timer in threading.enumerate():  # earlier tests' delayed cache deletes (keys/cache.py) would go there too
        if isinstance(timer, threading.Timer):
            timer.join()
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    state_module.reset()
    yield
    state_module.reset()


@pytest.fixture
def memory_mode(settings) -> Iterator[None]:
    settings.REDIS_URL = ""
    state_module.reset()
    yield
    state_module.reset()


def test_recorded_while_redis_is_down_is_held_and_written(redis_down):
    async def scenario():
        recorder.record(spend_event("while-down", end_user="cust-1", spend=Decimal("0.2")))
        drained = await flusher.drain(5)
        await flusher.stop()
        return drained

    assert asyncio.run(scenario()) is True
    assert total(EndUser, user_id="cust-1") == logged(request_id="while-down") == Decimal("0.2")


def test_the_background_flusher_writes_what_the_hot_path_recorded(own_key, memory_mode):
    async def scenario():
        flusher.start(0.05)
        for _ in range(3):
            recorder.record(spend_event(key=own_key, spend=Decimal("0.1")))
        for _ in range(100):
            if not queue.pending():
                break
            await asyncio.sleep(0.05)
        await flusher.stop()
        flusher.configure(None)

    asyncio.run(scenario())

    assert SpendLog.objects.count() == 3
    assert total(VirtualKey, token=own_key.token) == Decimal("0.3")


def test_shutdown_stops_the_background_flusher_and_writes_what_is_held(own_key, memory_mode):
    async def scenario():
        flusher.start(3600)  # would not flush again before the test ends
        for _ in range(3):
            recorder.record(spend_event(key=own_key, spend=Decimal("0.1")))
        drained = await flusher.shutdown(5)
        flusher.configure(None)
        return drained

    assert asyncio.run(scenario()) is True
    assert queue.pending() == 0
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("0.3")
