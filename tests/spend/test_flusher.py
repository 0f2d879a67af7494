"""spend/flusher.py: queued spend written to the database in batches, exactly
once, with the running totals in the same transaction. Against MemoryState and
a real RedisState, and the test database (PostgreSQL when DATABASE_URL is set)."""
from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
import redis
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Model, Sum

from gateway import state as state_module
from gateway.state.base import SharedState
from gateway.state.memory import MemoryState
from gateway.state.redis import KEY_PREFIX, RedisState
from gateway.types import SpendEvent
from keys.models import EndUser, Team, TeamMember, User, VirtualKey
from keys.services.common import MASTER
from keys.services.customers import customer_create
from keys.services.keys import key_generate
from keys.services.teams import team_create
from spend import flusher, queue, recorder
from spend.models import SpendLog
from spend.queue import QueueNames
from tests.gateway_process import free_port

pytestmark = pytest.mark.django_db(transaction=True)
REDIS_URL = "redis://127.0.0.1:6379/15"


def spend_event(request_id: str | None = None, *, key: VirtualKey | None = None, **fields) -> SpendEvent:
    defaults = {"call_type": "chat/completions", "start_time": 1_780_000_000.25, "end_time": 1_780_000_001.5,
                "model_group": "gpt-4.1", "model": "gpt-4.1", "prompt_tokens": 10, "completion_tokens": 5,
                "spend": Decimal("0.00012345")}
    if key is not None:
        defaults.update(api_key=key.token, key_alias=key.key_alias, team_id=key.team_id, user_id=key.user_id)
    return SpendEvent(request_id=request_id or uuid.uuid4().hex, **{**defaults, **fields})


@pytest.fixture
def names() -> Iterator[QueueNames]:
    """Queue, dead list and lock of this test's own; removed from Redis afterwards."""
    prefix = f"test:{uuid.uuid4().hex}:"
    yield QueueNames(items=prefix + "spend:queue", dead=prefix + "spend:dead", lock=prefix + "spend:lock")
    with redis.Redis.from_url(REDIS_URL) as raw:
        keys = list(raw.scan_iter(match=f"{KEY_PREFIX}{prefix}*"))
        if keys:
            raw.delete(*keys)


class Backend:
    """One test's queue store: a MemoryState kept across event loops, or a
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

    def enqueue(self, *events: SpendEvent) -> None:
        async def scenario(state):
            for event in events:
                await queue.enqueue(event, names=self.names, state=state)

        self.run(scenario)

    def flush(self, max_batch: int = 500) -> int:
        return self.run(lambda state: flusher.flush_once(max_batch, names=self.names, state=state))

    def pending(self) -> int:
        return self.run(lambda state: queue.pending(names=self.names, state=state))

    def dead(self) -> list[bytes]:
        return self.run(lambda state: state.list_head(self.names.dead, 100))


@pytest.fixture(params=["memory", "redis"])
def backend(request, names) -> Backend:
    return Backend(request.param, names)


@pytest.fixture
def team_key() -> VirtualKey:
    """A key of team "t-1", owned by its member "u-1", with a soft budget."""
    team_create(MASTER, {"team_id": "t-1", "members_with_roles": [{"user_id": "u-1", "role": "user"}]})
    key, _ = key_generate(MASTER, {"team_id": "t-1", "user_id": "u-1", "key_alias": "team-key",
                                   "soft_budget": Decimal("0.001")})
    return key


@pytest.fixture
def own_key() -> VirtualKey:
    key, _ = key_generate(MASTER, {"key_alias": "own-key"})
    return key


def total(model: type[Model], **lookup) -> Decimal:
    return model.objects.get(**lookup).spend


def logged(**lookup) -> Decimal:
    return SpendLog.objects.filter(**lookup).aggregate(total=Sum("spend"))["total"] or Decimal(0)


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


def test_queued_events_are_written_once(backend, own_key):
    first = spend_event("req-1", key=own_key, end_user="cust-1", tags=("prod",), metadata={"team": "x"},
                        latency_ms=812.5, provider="openai", api_base="https://api.openai.com/v1")
    backend.enqueue(first, spend_event("req-2", key=own_key), spend_event("req-3", key=own_key))

    assert backend.flush() == 3
    assert backend.pending() == 0
    assert backend.flush() == 0

    row = SpendLog.objects.get(request_id="req-1")
    assert (row.api_key, row.key_alias, row.end_user, row.request_tags, row.metadata) == (
        own_key.token, "own-key", "cust-1", ["prod"], {"team": "x"})
    assert (row.prompt_tokens, row.completion_tokens, row.total_tokens, row.spend) == (10, 5, 15, Decimal("0.00012345"))
    assert row.start_time == dt.datetime(2026, 5, 28, 20, 26, 40, 250000, tzinfo=dt.timezone.utc)
    assert (row.custom_llm_provider, row.api_base, row.latency_ms) == ("openai", "https://api.openai.com/v1", 812.5)
    assert SpendLog.objects.count() == 3


def test_an_event_queued_again_after_its_commit_is_written_and_counted_once(backend, own_key):
    """A crash between the commit and the trim leaves the batch queued: the next flush re-reads it."""
    event = spend_event("req-1", key=own_key, spend=Decimal("0.5"))
    backend.enqueue(event, event)  # also twice within one batch
    backend.flush()
    backend.enqueue(event)

    assert backend.flush() == 1

    assert SpendLog.objects.filter(request_id="req-1").count() == 1
    assert total(VirtualKey, token=own_key.token) == Decimal("0.5")
    assert backend.pending() == 0


def test_running_totals_equal_the_sum_of_their_rows(backend, team_key, own_key):
    customer_create(MASTER, {"user_id": "cust-known"})
    spends = [Decimal("0.00012345"), Decimal("0.5"), Decimal("0.0000000149"), Decimal("1.25"), Decimal(0)]
    events = [spend_event(key=team_key, spend=spend, end_user="cust-known") for spend in spends]
    events += [spend_event(key=own_key, spend=spend, end_user="cust-new") for spend in spends]
    events += [spend_event(spend=Decimal("3"))]  # the master key: no key, team or user to add to
    backend.enqueue(*events)

    while backend.flush(max_batch=4):
        pass

    assert SpendLog.objects.count() == len(events)
    for key in (team_key, own_key):
        assert total(VirtualKey, token=key.token) == logged(api_key=key.token) > 0
    assert total(Team, team_id="t-1") == logged(team_id="t-1") == total(VirtualKey, token=team_key.token)
    assert total(User, user_id="u-1") == logged(user_id="u-1") == total(TeamMember, team_id="t-1", user_id="u-1")
    for end_user in ("cust-known", "cust-new"):
        assert total(EndUser, user_id=end_user) == logged(end_user=end_user) > 0


def test_rows_keep_the_precision_totals_are_kept_in(backend, own_key):
    backend.enqueue(spend_event(key=own_key, spend=Decimal("0.000000012345")))

    backend.flush()

    assert logged(api_key=own_key.token) == total(VirtualKey, token=own_key.token) == Decimal("0.00000001")


def test_an_end_user_with_no_spend_yet_is_created(backend):
    backend.enqueue(spend_event(end_user="cust-free", spend=Decimal(0)))

    backend.flush()

    assert total(EndUser, user_id="cust-free") == 0


def test_a_key_crossing_its_soft_budget_is_noted_once(backend, team_key):
    backend.enqueue(spend_event(key=team_key, spend=Decimal("0.0006")))
    backend.flush()
    assert VirtualKey.objects.get(token=team_key.token).soft_budget_crossed_at is None

    backend.enqueue(spend_event(key=team_key, spend=Decimal("0.0006")))
    backend.flush()
    crossed_at = VirtualKey.objects.get(token=team_key.token).soft_budget_crossed_at
    backend.enqueue(spend_event(key=team_key, spend=Decimal("0.0006")))
    backend.flush()

    assert crossed_at is not None
    assert VirtualKey.objects.get(token=team_key.token).soft_budget_crossed_at == crossed_at


def test_a_database_failure_keeps_the_batch_queued_and_a_later_flush_writes_it(backend, own_key):
    backend.enqueue(*[spend_event(key=own_key, spend=Decimal("0.25")) for _ in range(3)])

    with table_moved_away(SpendLog):
        with pytest.raises(DatabaseError):
            backend.flush()
        assert backend.pending() == 3

    assert backend.flush() == 3  # the failed flush gave its lock back
    assert SpendLog.objects.count() == 3
    assert total(VirtualKey, token=own_key.token) == Decimal("0.75")


def test_a_failure_while_adding_up_totals_rolls_back_the_rows_too(backend, own_key):
    backend.enqueue(spend_event("req-1", key=own_key, spend=Decimal("0.25")))

    with table_moved_away(VirtualKey):
        with pytest.raises(DatabaseError):
            backend.flush()
    assert not SpendLog.objects.exists()

    assert backend.flush() == 1
    assert logged(api_key=own_key.token) == total(VirtualKey, token=own_key.token) == Decimal("0.25")


def test_a_malformed_item_goes_to_the_dead_list_and_the_rest_is_written(backend):
    good = spend_event("good")

    async def scenario(state):
        await state.list_push(backend.names.items, b"{not json")
        await queue.enqueue(good, names=backend.names, state=state)
        await state.list_push(backend.names.items, b'{"request_id": "r", "call_type": "x"}')
        await state.list_push(backend.names.items, queue.encode(spend_event("x" * 65)))  # longer than the column
        await state.list_push(backend.names.items, queue.encode(spend_event("huge", spend=Decimal("1e30"))))

    backend.run(scenario)

    assert backend.flush() == 5
    assert list(SpendLog.objects.values_list("request_id", flat=True)) == ["good"]
    assert backend.dead()[:2] == [b"{not json", b'{"request_id": "r", "call_type": "x"}']
    assert len(backend.dead()) == 4
    assert backend.pending() == 0


def test_text_postgresql_would_refuse_is_cleaned_not_dead(backend):
    backend.enqueue(spend_event("nul", key_alias="a\x00b", model="m" * 300,
                                metadata={"note": "x\x00y"}, messages=["hi\x00"]))

    backend.flush()

    row = SpendLog.objects.get(request_id="nul")
    assert (row.key_alias, len(row.model), row.metadata, row.messages) == ("ab", 255, {"note": "xy"}, ["hi"])


def test_two_flushers_at_once_never_count_twice(backend, own_key):
    """Each flusher has a client of its own; the lock gives each batch to one of them."""
    events = [spend_event(key=own_key, spend=Decimal("0.01")) for _ in range(60)]
    backend.enqueue(*events, *events[:20])  # some queued twice

    async def flush_until_empty(state: SharedState) -> int:
        written = 0
        for _ in range(1000):  # bounded: a flusher that never empties the queue fails the test, not hangs it
            if not await queue.pending(names=backend.names, state=state):
                break
            try:
                written += await flusher.flush_once(7, names=backend.names, state=state)
            except DatabaseError:  # SQLite: the other writer holds the database; retried like in production
                pass
            await asyncio.sleep(0)
        return written

    async def scenario(_):
        states = [backend.state(), backend.state()]
        try:
            return await asyncio.gather(*(flush_until_empty(state) for state in states))
        finally:
            for state in states:
                if isinstance(state, RedisState):
                    await state.aclose()

    counts = backend.run(scenario)

    assert sum(counts) == 80
    assert SpendLog.objects.count() == 60
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("0.60")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises whole transactions")
def test_the_same_events_from_two_queues_at_once_are_written_once(own_key):
    """E.g. a push that reached Redis but timed out, so it was also kept in process
    memory: two writers race on the same request ids; the primary key decides."""
    events = [spend_event(key=own_key, spend=Decimal("0.01")) for _ in range(100)]
    names = QueueNames(items="q", dead="d", lock="l")
    stores = [MemoryState(), MemoryState()]
    for store in stores:
        for event in events:
            store.list_push_now(names.items, queue.encode(event))
    barrier = threading.Barrier(2)

    def writer(store: MemoryState) -> None:
        async def until_empty():
            barrier.wait()
            for _ in range(1000):
                if not await store.list_length(names.items):
                    break
                try:
                    await flusher.flush_once(10, names=names, state=store)
                except DatabaseError:
                    pass  # the other writer committed these ids first: rolled back, retried, then skipped

        asyncio.run(until_empty())

    threads = [threading.Thread(target=writer, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [asyncio.run(store.list_length(names.items)) for store in stores] == [0, 0]
    assert SpendLog.objects.count() == 100
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("1.00")


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
def test_a_writer_racing_on_the_same_request_id_rolls_back_and_then_skips_it(own_key):
    """The lock expired mid-flush (or the id sits in two queues): two transactions
    insert the same request id. The later one fails on the primary key, keeps its
    batch queued, and its next flush skips the id: counted once."""
    names = QueueNames(items="q", dead="d", lock="l")
    first, second = MemoryState(), MemoryState()
    for store in (first, second):
        store.list_push_now(names.items, queue.encode(spend_event("req-1", key=own_key, spend=Decimal("0.25"))))
    outcomes: dict[str, object] = {}

    def flush(name: str, store: MemoryState) -> None:
        try:
            outcomes[name] = asyncio.run(flusher.flush_once(names=names, state=store))
        except DatabaseError as exc:
            outcomes[name] = exc

    with transaction.atomic():  # hold the key's row: the first writer stops after inserting its row
        VirtualKey.objects.select_for_update().get(token=own_key.token)
        threads = [threading.Thread(target=flush, args=("first", first))]
        threads[0].start()
        until(lambda: waiting_on_locks() == 1)
        threads.append(threading.Thread(target=flush, args=("second", second)))
        threads[1].start()
        until(lambda: waiting_on_locks() == 2)  # the second waits on the first's uncommitted request id
    for thread in threads:
        thread.join(10)

    assert outcomes["first"] == 1
    assert isinstance(outcomes["second"], IntegrityError)
    assert asyncio.run(second.list_length(names.items)) == 1
    assert asyncio.run(flusher.flush_once(names=names, state=second)) == 1
    assert SpendLog.objects.count() == 1
    assert total(VirtualKey, token=own_key.token) == Decimal("0.25")


def test_drain_flushes_until_the_queue_is_empty(backend, own_key):
    backend.enqueue(*[spend_event(key=own_key) for _ in range(25)])

    assert backend.run(lambda state: flusher.drain(5, names=backend.names, state=state)) is True
    assert SpendLog.objects.count() == 25


def test_drain_gives_up_after_its_timeout_while_the_database_is_down(backend):
    backend.enqueue(spend_event())

    with table_moved_away(SpendLog):
        assert backend.run(lambda state: flusher.drain(0.3, names=backend.names, state=state)) is False
    assert backend.pending() == 1


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


def test_recorded_while_redis_is_down_is_kept_in_memory_and_written(redis_down):
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
            if not await queue.pending():
                break
            await asyncio.sleep(0.05)
        await flusher.stop()
        flusher.configure(None)

    asyncio.run(scenario())

    assert SpendLog.objects.count() == 3
    assert total(VirtualKey, token=own_key.token) == Decimal("0.3")
