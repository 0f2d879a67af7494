"""spend.rollup: SpendDaily recomputed from the log, idempotent, tags beside totals."""
import datetime as dt
import itertools
import threading
from decimal import Decimal

import pytest
from django.db import connection

from spend.models import SpendDaily, SpendLog
from spend.rollup import aggregate_day, day_bounds, roll_up_day

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2026, 11, 27)
NOON = dt.datetime(2026, 11, 27, 12, tzinfo=dt.timezone.utc)
_ids = itertools.count()


def spend_log(start: dt.datetime = NOON, spend: str = "0.01", **fields) -> SpendLog:
    """One request in the log, as the flusher writes it."""
    defaults = {"call_type": "acompletion", "api_key": "a" * 64, "model_group": "gpt-4.1", "model": "gpt-4.1",
                "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    return SpendLog.objects.create(request_id=f"req-{next(_ids)}", start_time=start,
                                   end_time=start + dt.timedelta(seconds=1), spend=Decimal(spend),
                                   **{**defaults, **fields})


def rows(**filters) -> list[tuple]:
    return sorted(SpendDaily.objects.filter(**filters).values_list(
        "day", "api_key", "team_id", "user_id", "end_user", "model_group", "tag", "spend", "prompt_tokens",
        "completion_tokens", "requests", "failed_requests"))


def test_requests_of_a_day_are_summed_per_key_team_user_customer_and_model():
    spend_log(team_id="team-1", user_id="ann", end_user="acme")
    spend_log(team_id="team-1", user_id="ann", end_user="acme", spend="0.02")
    spend_log(model_group="mock-gpt", spend="0.5")
    spend_log(start=NOON - dt.timedelta(days=1))  # another day

    assert roll_up_day(DAY) == 2

    assert rows() == [
        (DAY, "a" * 64, "", "", "", "mock-gpt", "", Decimal("0.5"), 10, 5, 1, 0),
        (DAY, "a" * 64, "team-1", "ann", "acme", "gpt-4.1", "", Decimal("0.03"), 20, 10, 2, 0),
    ]


def test_rolling_up_a_day_twice_leaves_the_same_rows():
    spend_log(request_tags=["a"])
    spend_log(status="failure", spend="0")
    roll_up_day(DAY)
    first = rows()

    roll_up_day(DAY)

    assert rows() == first and len(first) == 2


def test_a_later_roll_up_picks_up_new_rows_and_drops_deleted_ones():
    gone = spend_log()
    roll_up_day(DAY)
    gone.delete()
    spend_log(spend="0.04")

    roll_up_day(DAY)

    assert [row[7] for row in rows()] == [Decimal("0.04")]


def test_tagged_requests_count_once_per_tag_and_once_in_the_total():
    spend_log(request_tags=["a", "b"], spend="0.1")
    spend_log(request_tags=["a", "a", ""], spend="0.2")  # a repeated tag counts once; "" is no tag
    spend_log(spend="0.4")

    roll_up_day(DAY)

    total = SpendDaily.objects.get(tag="")
    assert (total.spend, total.requests) == (Decimal("0.7"), 3)
    by_tag = {row.tag: (row.spend, row.requests) for row in SpendDaily.objects.exclude(tag="")}
    assert by_tag == {"a": (Decimal("0.3"), 2), "b": (Decimal("0.1"), 1)}


def test_failed_requests_are_counted_apart():
    spend_log(status="failure", spend="0")
    spend_log()

    roll_up_day(DAY)

    assert SpendDaily.objects.values_list("requests", "failed_requests").get() == (2, 1)


def test_days_follow_the_configured_timezone():
    late_evening_utc = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.timezone.utc)  # 00:30 on the 28th in Berlin
    spend_log(start=late_evening_utc)

    assert roll_up_day(DAY, "Europe/Berlin") == 0
    assert roll_up_day(DAY + dt.timedelta(days=1), "Europe/Berlin") == 1
    assert day_bounds(DAY, "Europe/Berlin")[0] == dt.datetime(2026, 11, 26, 23, tzinfo=dt.timezone.utc)


def test_aggregating_a_day_writes_nothing():
    spend_log(request_tags=["a"])

    assert len(aggregate_day(DAY)) == 2
    assert len(aggregate_day(DAY, include_tags=False)) == 1
    assert not SpendDaily.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises whole transactions")
def test_several_workers_rolling_up_the_same_day_at_once_agree():
    for index in range(30):
        spend_log(team_id=f"team-{index % 3}", request_tags=[f"tag-{index % 4}"])
    roll_up_day(DAY)
    expected = rows()
    errors = []

    def worker():
        try:
            for _ in range(5):
                roll_up_day(DAY)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert rows() == expected
