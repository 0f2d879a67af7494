"""SpendDailyBy: the day's SpendDaily rows summed per key, team, model group and
tag, written by the roll-up, read from the log for today, filled on upgrade."""
import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection

from spend.models import SpendDaily, SpendDailyBy, SpendLog
from spend.rollup import aggregate_day, aggregate_day_by, by_dimension, roll_up_day
from tests.spend.test_rollup import DAY, NOON, spend_log

pytestmark = pytest.mark.django_db(transaction=True)
FILL = importlib.import_module("spend.migrations.0004_fill_spend_daily_by")


def stored(**filters) -> dict[tuple, tuple]:
    return {(row.dimension, row.value): (row.spend, row.prompt_tokens, row.completion_tokens, row.requests,
                                         row.failed_requests)
            for row in SpendDailyBy.objects.filter(day=DAY, **filters)}


@pytest.fixture
def day_of_traffic():
    spend_log(spend="0.5", api_key="k" * 64, team_id="team-1", request_tags=["a", "b"])
    spend_log(spend="0.25", api_key="k" * 64, team_id="team-1", user_id="ann", end_user="acme",
              request_tags=["a", "a"], status="failure")
    spend_log(spend="1", model_group="mock-gpt", request_tags=["b"])
    spend_log(spend="2", model_group="mock-gpt")
    spend_log(start=NOON.replace(day=26), spend="100", request_tags=["a"])  # the day before: not in DAY's rows


def test_the_roll_up_sums_each_dimension_from_its_own_rows(day_of_traffic):
    roll_up_day(DAY)

    assert stored(dimension="key") == {
        ("key", "k" * 64): (Decimal("0.75"), 20, 10, 2, 1),
        ("key", "a" * 64): (Decimal("3"), 20, 10, 2, 0)}
    assert stored(dimension="team") == {
        ("team", "team-1"): (Decimal("0.75"), 20, 10, 2, 1), ("team", ""): (Decimal("3"), 20, 10, 2, 0)}
    assert stored(dimension="model") == {
        ("model", "gpt-4.1"): (Decimal("0.75"), 20, 10, 2, 1), ("model", "mock-gpt"): (Decimal("3"), 20, 10, 2, 0)}
    # a request counts once per distinct tag: ["a", "a"] once under "a"
    assert stored(dimension="tag") == {
        ("tag", "a"): (Decimal("0.75"), 20, 10, 2, 1), ("tag", "b"): (Decimal("1.5"), 20, 10, 2, 0)}


def test_a_later_roll_up_replaces_the_days_sums(day_of_traffic):
    roll_up_day(DAY)
    SpendLog.objects.filter(model_group="mock-gpt").delete()
    spend_log(spend="4", team_id="team-2")

    roll_up_day(DAY)

    assert set(stored(dimension="model")) == {("model", "gpt-4.1")}
    assert stored(dimension="team")[("team", "team-2")] == (Decimal("4"), 10, 5, 1, 0)
    assert ("tag", "b") in stored() and stored()[("tag", "b")][3] == 1


@pytest.mark.parametrize("dimension", ["key", "team", "model", "tag"])
def test_a_day_read_from_the_log_per_dimension_equals_the_roll_ups_sums(day_of_traffic, dimension):
    """How the dashboard reads today: one GROUP BY per dimension, the same sums as by_dimension."""
    expected = {row.value: (row.spend, row.prompt_tokens, row.completion_tokens, row.requests,
                              row.failed_requests)
                for row in by_dimension(DAY, aggregate_day(DAY)) if row.dimension == dimension}
    read = {value: tuple(figures) for value, *figures in aggregate_day_by(DAY, "UTC", dimension)}
    assert read == expected and expected


def test_upgrading_fills_the_sums_of_days_rolled_up_before(day_of_traffic):
    roll_up_day(DAY)
    rolled_up = stored()
    SpendDailyBy.objects.all().delete()  # as before the migration: SpendDaily only
    assert SpendDaily.objects.filter(day=DAY).exists()

    FILL.fill(apps=None, schema_editor=SimpleNamespace(connection=connection))  # what migrate runs

    assert stored() == rolled_up
