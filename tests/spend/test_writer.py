"""spend/writer.py: a batch of queued items written to the database exactly
once, with the running totals in the same transaction (PostgreSQL when
DATABASE_URL is set)."""
from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from keys.models import EndUser, Team, TeamMember, User, VirtualKey
from keys.services.common import MASTER
from keys.services.customers import customer_create
from keys.services.keys import key_generate
from keys.services.teams import team_create
from spend import queue, writer
from spend.models import SpendLog
from tests.spend.events import logged, spend_event, total

pytestmark = pytest.mark.django_db(transaction=True)


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


def write(*events) -> list[bytes]:
    return writer.write_batch([queue.encode(event) for event in events])


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


def test_events_are_written_with_every_field(own_key):
    first = spend_event("req-1", key=own_key, end_user="cust-1", tags=("prod",), metadata={"team": "x"},
                        latency_ms=812.5, provider="openai", api_base="https://api.openai.com/v1")

    assert write(first, spend_event("req-2", key=own_key), spend_event("req-3", key=own_key)) == []

    row = SpendLog.objects.get(request_id="req-1")
    assert (row.api_key, row.key_alias, row.end_user, row.request_tags, row.metadata) == (
        own_key.token, "own-key", "cust-1", ["prod"], {"team": "x"})
    assert (row.prompt_tokens, row.completion_tokens, row.total_tokens, row.spend) == (10, 5, 15, Decimal("0.00012345"))
    assert row.start_time == dt.datetime(2026, 5, 28, 20, 26, 40, 250000, tzinfo=dt.timezone.utc)
    assert (row.custom_llm_provider, row.api_base, row.latency_ms) == ("openai", "https://api.openai.com/v1", 812.5)
    assert SpendLog.objects.count() == 3


def test_an_event_written_again_is_written_and_counted_once(own_key):
    """Its owner and a sweep of the Redis copies both write it; or a retry after a crash before forgetting it."""
    event = spend_event("req-1", key=own_key, spend=Decimal("0.5"))
    write(event, event)  # also twice within one batch
    write(event)

    assert SpendLog.objects.filter(request_id="req-1").count() == 1
    assert total(VirtualKey, token=own_key.token) == Decimal("0.5")


def test_running_totals_equal_the_sum_of_their_rows(team_key, own_key):
    customer_create(MASTER, {"user_id": "cust-known"})
    spends = [Decimal("0.00012345"), Decimal("0.5"), Decimal("0.0000000149"), Decimal("1.25"), Decimal(0)]
    events = [spend_event(key=team_key, spend=spend, end_user="cust-known") for spend in spends]
    events += [spend_event(key=own_key, spend=spend, end_user="cust-new") for spend in spends]
    events += [spend_event(spend=Decimal("3"))]  # the master key: no key, team or user to add to

    for start in range(0, len(events), 4):
        write(*events[start:start + 4])

    assert SpendLog.objects.count() == len(events)
    for key in (team_key, own_key):
        assert total(VirtualKey, token=key.token) == logged(api_key=key.token) > 0
    assert total(Team, team_id="t-1") == logged(team_id="t-1") == total(VirtualKey, token=team_key.token)
    assert total(User, user_id="u-1") == logged(user_id="u-1") == total(TeamMember, team_id="t-1", user_id="u-1")
    for end_user in ("cust-known", "cust-new"):
        assert total(EndUser, user_id=end_user) == logged(end_user=end_user) > 0


def test_rows_keep_the_precision_totals_are_kept_in(own_key):
    write(spend_event(key=own_key, spend=Decimal("0.000000012345")))

    assert logged(api_key=own_key.token) == total(VirtualKey, token=own_key.token) == Decimal("0.00000001")


def test_an_end_user_with_no_spend_yet_is_created():
    write(spend_event(end_user="cust-free", spend=Decimal(0)))

    assert total(EndUser, user_id="cust-free") == 0


def test_a_key_crossing_its_soft_budget_is_noted_once(team_key):
    write(spend_event(key=team_key, spend=Decimal("0.0006")))
    assert VirtualKey.objects.get(token=team_key.token).soft_budget_crossed_at is None

    write(spend_event(key=team_key, spend=Decimal("0.0006")))
    crossed_at = VirtualKey.objects.get(token=team_key.token).soft_budget_crossed_at
    write(spend_event(key=team_key, spend=Decimal("0.0006")))

    assert crossed_at is not None
    assert VirtualKey.objects.get(token=team_key.token).soft_budget_crossed_at == crossed_at


def test_a_database_failure_writes_nothing_and_the_same_batch_later_writes_it_all(own_key):
    events = [spend_event(key=own_key, spend=Decimal("0.25")) for _ in range(3)]

    with table_moved_away(SpendLog):
        with pytest.raises(DatabaseError):
            write(*events)

    write(*events)
    assert SpendLog.objects.count() == 3
    assert total(VirtualKey, token=own_key.token) == Decimal("0.75")


def test_a_failure_while_adding_up_totals_rolls_back_the_rows_too(own_key):
    event = spend_event("req-1", key=own_key, spend=Decimal("0.25"))

    with table_moved_away(VirtualKey):
        with pytest.raises(DatabaseError):
            write(event)
    assert not SpendLog.objects.exists()

    write(event)
    assert logged(api_key=own_key.token) == total(VirtualKey, token=own_key.token) == Decimal("0.25")


def test_malformed_items_are_returned_and_the_rest_is_written():
    items = [b"{not json", queue.encode(spend_event("good")), b'{"request_id": "r", "call_type": "x"}',
             queue.encode(spend_event("x" * 65)),  # longer than the column
             queue.encode(spend_event("huge", spend=Decimal("1e30")))]

    dead = writer.write_batch(items)

    assert list(SpendLog.objects.values_list("request_id", flat=True)) == ["good"]
    assert dead == [items[0], items[2], items[3], items[4]]


def test_text_postgresql_would_refuse_is_cleaned_not_dead():
    assert write(spend_event("nul", key_alias="a\x00b", model="m" * 300, metadata={"note": "x\x00y"},
                             messages=["hi\x00"])) == []

    row = SpendLog.objects.get(request_id="nul")
    assert (row.key_alias, len(row.model), row.metadata, row.messages) == ("ab", 255, {"note": "xy"}, ["hi"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises whole transactions")
def test_the_same_events_from_two_writers_at_once_are_written_once(own_key):
    """An owner flushing what it holds while a sweep writes the Redis copies of
    the same requests, in another order: the primary key decides, no deadlock."""
    events = [spend_event(key=own_key, spend=Decimal("0.01")) for _ in range(400)]
    orders = [events, list(reversed(events))]
    barrier = threading.Barrier(2)
    failures: list[BaseException] = []

    def write_at_once(ordered) -> None:
        barrier.wait()
        try:
            write(*ordered)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=write_at_once, args=(ordered,)) for ordered in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    assert SpendLog.objects.count() == 400
    assert total(VirtualKey, token=own_key.token) == logged(api_key=own_key.token) == Decimal("4.00")


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
def test_a_writer_racing_on_the_same_request_id_rolls_back_and_writes_the_rest_without_it(own_key):
    """Two transactions insert the same request id; the later one fails on the
    primary key when the first commits, rolls back, and retries at once without
    that id: every row once, every amount counted once."""
    first = [spend_event("req-1", key=own_key, spend=Decimal("0.25"))]
    second = [first[0], spend_event("req-2", key=own_key, spend=Decimal("0.5"))]
    outcomes: dict[str, object] = {}

    def run(name: str, events) -> None:
        try:
            outcomes[name] = write(*events)
        except DatabaseError as exc:
            outcomes[name] = exc

    with transaction.atomic():  # hold the key's row: the first writer stops after inserting its row
        VirtualKey.objects.select_for_update().get(token=own_key.token)
        threads = [threading.Thread(target=run, args=("first", first))]
        threads[0].start()
        until(lambda: waiting_on_locks() == 1)
        threads.append(threading.Thread(target=run, args=("second", second)))
        threads[1].start()
        until(lambda: waiting_on_locks() == 2)  # the second waits on the first's uncommitted request id
    for thread in threads:
        thread.join(10)

    assert outcomes == {"first": [], "second": []}
    assert sorted(SpendLog.objects.values_list("request_id", flat=True)) == ["req-1", "req-2"]
    assert total(VirtualKey, token=own_key.token) == Decimal("0.75")
