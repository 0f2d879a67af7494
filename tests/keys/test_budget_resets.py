"""keys.budgets.reset_due_budgets: period ends, spend back to zero, idempotent."""
import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from keys.budgets import reset_due_budgets
from keys.models import Team, VirtualKey
from keys.services.common import MASTER
from keys.services.keys import key_generate

pytestmark = pytest.mark.django_db(transaction=True)
NOW = dt.datetime(2026, 11, 27, 17, 30, tzinfo=dt.timezone.utc)


def spent_key(duration: str = "1d", due: bool = True) -> VirtualKey:
    key, _ = key_generate(MASTER, {"max_budget": Decimal(10), "budget_duration": duration, "soft_budget": 1})
    VirtualKey.objects.filter(token=key.token).update(
        spend=Decimal(5), soft_budget_crossed_at=NOW,
        budget_reset_at=NOW - dt.timedelta(minutes=1) if due else NOW + dt.timedelta(hours=1))
    return key


def test_a_due_key_is_reset_and_its_next_reset_follows_the_calendar():
    key = spent_key("1d")

    assert reset_due_budgets(NOW) == 1

    key.refresh_from_db()
    assert key.spend == 0 and key.soft_budget_crossed_at is None
    assert key.budget_reset_at == dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc)


def test_running_it_twice_resets_once():
    spent_key("30d")

    assert reset_due_budgets(NOW) == 1
    assert reset_due_budgets(NOW) == 0


def test_a_key_whose_period_has_not_ended_keeps_its_spend():
    key = spent_key(due=False)

    reset_due_budgets(NOW)

    key.refresh_from_db()
    assert key.spend == 5


def test_teams_reset_too():
    team = Team.objects.create(team_alias="t", max_budget=10, spend=3, budget_duration="7d",
                               budget_reset_at=NOW - dt.timedelta(seconds=1))

    reset_due_budgets(NOW)

    team.refresh_from_db()
    assert team.spend == 0 and team.budget_reset_at == dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises whole transactions")
def test_two_workers_at_once_reset_each_row_once():
    for _ in range(20):
        spent_key()
    counts = []

    def worker():
        counts.append(reset_due_budgets(NOW))
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(counts) == 20
    assert not VirtualKey.objects.filter(spend__gt=0).exists()
