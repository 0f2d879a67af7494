"""spend.dashboard's top-N for everyone: summed only for the groups that can
reach the top, yet equal to ranking every group (past days rolled up, today
from the log)."""
import datetime as dt

import pytest

from spend import dashboard
from spend.reports import Period
from spend.rollup import day_bounds, local_today, roll_up_day
from tests.spend.test_rollup import spend_log

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = local_today("UTC")


def on(days_back: int, key: str, spend: str, **fields) -> None:
    spend_log(start=day_bounds(TODAY - dt.timedelta(days=days_back), "UTC")[0] + dt.timedelta(hours=1),
              spend=spend, api_key=key, **fields)


def full_ranking(reader: dashboard.SpendReader, by: str) -> list:
    found = reader.sums(by)
    return sorted(((group, totals) for (group,), totals in found.items()), key=lambda i: (-i[1].spend, i[0]))


@pytest.fixture
def traffic():
    """Twenty keys: most with one big day, one spread thin over many days, one big only today, ties."""
    for n in range(20):
        on(n % 6 + 1, f"key-{n:02}", f"{n}.5", team_id=f"team-{n % 7}", request_tags=[f"t{n % 3}"])
    for days_back in range(1, 11):
        on(days_back, "key-spread", "1.9", team_id="team-spread")  # 19 over ten days: never a big day
    on(0, "key-today", "17.25", team_id="team-0")  # today only
    on(0, "key-03", "13", request_tags=["t0"])  # small past, big today
    on(2, "key-tie-a", "16.5")
    on(3, "key-tie-b", "16.5")
    for days_back in range(1, 11):
        roll_up_day(TODAY - dt.timedelta(days=days_back))


@pytest.mark.parametrize("by", ["key", "team", "model", "tag"])
@pytest.mark.parametrize("limit", [1, 5, 10])
def test_the_top_equals_the_head_of_ranking_every_group(traffic, by, limit):
    reader = dashboard.SpendReader(Period.last_30_days("UTC"))
    ranked, count, is_capped = reader.top(by, limit)
    everything = full_ranking(reader, by)
    assert ranked == everything[:limit]
    assert (count, is_capped) == (len(everything), False)


def test_the_spread_and_the_today_only_keys_make_the_top(traffic):
    ranked, _, _ = dashboard.SpendReader(Period.last_30_days("UTC")).top("key", 10)
    keys = [key for key, _ in ranked]
    assert {"key-spread", "key-today", "key-03", "key-tie-a", "key-tie-b"} <= set(keys)


def test_a_period_of_past_days_only(traffic):
    period = Period.of(TODAY - dt.timedelta(days=9), TODAY - dt.timedelta(days=2), "UTC")
    reader = dashboard.SpendReader(period)
    ranked, _, _ = reader.top("key", 10)
    assert ranked == full_ranking(reader, "key")[:10] and "key-today" not in dict(ranked)
