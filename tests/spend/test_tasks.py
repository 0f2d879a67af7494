"""spend.tasks (roll-up, budget resets, pruning), their beat schedule, and the embedded scheduler."""
import asyncio
import datetime as dt
from decimal import Decimal

import pytest
from celery.schedules import crontab
from django.utils import timezone

from gateway import scheduler
from gateway.celery import app
from gateway.config.schema import GatewayConfig, GeneralSettings, LitellmSettings
from gateway.proxy import runtime
from keys.models import VirtualKey
from keys.services.common import MASTER
from keys.services.keys import key_generate
from spend import tasks
from spend.models import SpendDaily, SpendLog
from spend.rollup import day_bounds, local_today, roll_up_day
from tests.spend.test_rollup import spend_log

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def configure():
    """Serve a config with these general_settings / litellm_settings extras."""

    def install(general: dict | None = None, litellm: dict | None = None) -> None:
        config = GatewayConfig(path=None, general_settings=GeneralSettings(extra=general or {}),
                               litellm_settings=LitellmSettings(extra=litellm or {}))
        runtime.install(runtime.build_runtime(config))

    install()
    yield install
    runtime.reset()


def days_ago(days: int, zone: str = "UTC") -> dt.datetime:
    """A moment early on the day `days` before today."""
    today = local_today(zone)
    return day_bounds(today - dt.timedelta(days=days), zone)[0] + dt.timedelta(minutes=5)


def rolled_days() -> set[dt.date]:
    return set(SpendDaily.objects.values_list("day", flat=True))


def test_the_roll_up_task_rolls_up_today_and_yesterday(configure):
    for back in (0, 1, 2):
        spend_log(start=days_ago(back))

    assert tasks.roll_up_daily() == 2

    today = local_today("UTC")
    assert rolled_days() == {today, today - dt.timedelta(days=1)}


def test_the_roll_up_task_counts_days_in_the_configured_timezone(configure):
    configure(litellm={"timezone": "Asia/Tokyo"})
    spend_log(start=days_ago(0, "Asia/Tokyo"))

    tasks.roll_up_daily()

    assert rolled_days() == {local_today("Asia/Tokyo")}


def test_a_backfill_stops_where_the_log_may_have_been_pruned(configure):
    configure(general={"maximum_spend_logs_retention_period": "3d"})
    for back in range(6):
        spend_log(start=days_ago(back))

    tasks.roll_up_daily(days=6)

    today = local_today("UTC")
    assert rolled_days() == {today - dt.timedelta(days=back) for back in range(3)}


def test_a_task_runs_in_process(configure):
    spend_log(start=days_ago(0))

    assert tasks.roll_up_daily.apply().get() == 1  # runs here, whatever the broker


def test_the_budget_task_resets_due_budgets(configure):
    key, _ = key_generate(MASTER, {"max_budget": Decimal(10), "budget_duration": "1d"})
    VirtualKey.objects.filter(token=key.token).update(spend=Decimal(4),
                                                      budget_reset_at=timezone.now() - dt.timedelta(minutes=1))

    assert tasks.reset_budgets() == 1
    assert tasks.reset_budgets() == 0

    key.refresh_from_db()
    assert key.spend == 0 and key.budget_reset_at > timezone.now()


def test_without_a_retention_period_every_log_row_is_kept(configure):
    spend_log(start=timezone.now() - dt.timedelta(days=400))

    assert tasks.prune_logs() == 0
    assert SpendLog.objects.count() == 1


def test_log_rows_older_than_the_retention_period_are_pruned_and_their_roll_up_kept(configure):
    configure(general={"maximum_spend_logs_retention_period": "30d"})
    old = spend_log(start=timezone.now() - dt.timedelta(days=31))
    kept = spend_log(start=timezone.now() - dt.timedelta(days=29))
    roll_up_day(old.start_time.date())  # rolled up back when it was today

    assert tasks.prune_logs() == 1

    assert list(SpendLog.objects.values_list("request_id", flat=True)) == [kept.request_id]
    assert rolled_days() == {old.start_time.date()}


def test_pruning_spares_yesterday_which_the_roll_up_still_redoes(configure):
    configure(general={"maximum_spend_logs_retention_period": "1h"})
    spend_log(start=days_ago(1))
    spend_log(start=days_ago(2))

    assert tasks.prune_logs() == 1
    assert SpendLog.objects.get().start_time == days_ago(1)


def test_a_retention_period_that_is_no_duration_prunes_nothing(configure):
    configure(general={"maximum_spend_logs_retention_period": "thirty days"})
    spend_log(start=timezone.now() - dt.timedelta(days=400))

    assert tasks.prune_logs() == 0


def test_beat_schedules_the_three_tasks_on_the_embedded_schedulers_marks():
    beat = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert beat == {"spend.reset_budgets": crontab(), "spend.roll_up_daily": crontab(minute="*/10"),
                    "spend.prune_logs": crontab(hour=3, minute=17)}
    for job in scheduler.jobs():
        assert job.name in app.tasks
        cron = beat[job.name]
        beat_marks = {(hour, minute) for hour in cron.hour for minute in cron.minute}
        embedded_marks = {divmod(second // 60, 60) for second in range(0, 86400, 60)
                          if job.seconds_until_next(second - 1) == 1}
        assert embedded_marks == beat_marks, job.name


def test_the_embedded_scheduler_stays_off_when_celery_beat_owns_the_schedule(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    scheduler.reset()

    assert scheduler.start() is False


def test_the_embedded_scheduler_starts_once_on_the_serving_loop(settings):
    settings.REDIS_URL = ""
    scheduler.reset()

    async def serve() -> tuple[bool, bool, int]:
        first, second = scheduler.start(), scheduler.start()
        running = [task for task in asyncio.all_tasks() if task.get_name().startswith("scheduler:")]
        for task in running:
            task.cancel()
        return first, second, len(running)

    try:
        assert asyncio.run(serve()) == (True, False, 3)
    finally:
        scheduler.reset()


def test_a_scheduled_job_runs_off_the_loop_and_survives_a_failure(configure):
    spend_log(start=days_ago(0))

    def broken() -> None:
        raise RuntimeError("database away")

    asyncio.run(scheduler.run_once(scheduler.Job("broken", broken, 60)))
    asyncio.run(scheduler.run_once(next(job for job in scheduler.jobs() if job.name == "spend.roll_up_daily")))

    assert rolled_days() == {local_today("UTC")}
