"""Periodic spend work, as Celery tasks (beat schedule: gateway/celery.py) and,
without Redis, run by gateway/scheduler.py inside the serving process.

Each task is idempotent and safe on several workers at once, so a duplicate
run (two schedulers, a retry) costs time, never correctness. Each reads the
config the process serves (gateway.proxy.runtime), so workers must be started
with the same config file as the gateway.
"""
from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from gateway.config.schema import GatewayConfig
from gateway.proxy import runtime
from keys.budgets import reset_due_budgets
from keys.durations import Duration, InvalidDuration
from spend import rollup
from spend.models import SpendLog

logger = logging.getLogger("spend.tasks")

PRUNE_BATCH = 5000  # rows per DELETE, so pruning never holds long locks on the log


@shared_task(name="spend.roll_up_daily")
def roll_up_daily(days: int = 2) -> int:
    """Roll up today and the days before it (default: yesterday, which still
    gets late rows after midnight); return the number of SpendDaily rows written.
    A larger `days` backfills, but stops at days whose log may have been pruned."""
    config = runtime.current().config
    zone = rollup.configured_timezone(config)
    now = timezone.now()
    today = rollup.local_today(zone, now)
    pruned_before = prune_cutoff(config, now)
    written = 0
    for back in range(max(1, days)):
        day = today - dt.timedelta(days=back)
        if pruned_before is not None and rollup.day_bounds(day, zone)[0] < pruned_before:
            break  # its log rows may be gone: recomputing would erase the day
        written += rollup.roll_up_day(day, zone)
    return written


@shared_task(name="spend.reset_budgets")
def reset_budgets() -> int:
    """Start the next budget period of every key, team and user whose period ended."""
    return reset_due_budgets(timezone.now(), rollup.configured_timezone(runtime.current().config))


@shared_task(name="spend.prune_logs")
def prune_logs() -> int:
    """Delete log rows older than general_settings.maximum_spend_logs_retention_period
    (none set: keep forever); return how many. SpendDaily rows are kept, and
    today's and yesterday's log rows always are, because roll_up_daily
    recomputes those two days from the log."""
    cutoff = prune_cutoff(runtime.current().config, timezone.now())
    if cutoff is None:
        return 0
    deleted = 0
    while True:
        batch = list(SpendLog.objects.filter(start_time__lt=cutoff).values_list("request_id", flat=True)
                     [:PRUNE_BATCH])
        if not batch:
            break
        deleted += SpendLog.objects.filter(request_id__in=batch).delete()[0]
    if deleted:
        logger.info("pruned %d spend log rows older than %s", deleted, cutoff.isoformat())
    return deleted


def prune_cutoff(config: GatewayConfig, now: dt.datetime) -> dt.datetime | None:
    """Log rows that started before this moment may be pruned; None = keep forever.
    Never later than the start of yesterday, the oldest day the roll-up redoes."""
    retention = _retention_cutoff(config, now)
    if retention is None:
        return None
    zone = rollup.configured_timezone(config)
    yesterday = rollup.local_today(zone, now) - dt.timedelta(days=1)
    return min(retention, rollup.day_bounds(yesterday, zone)[0])


def _retention_cutoff(config: GatewayConfig, now: dt.datetime) -> dt.datetime | None:
    text = config.general_settings.extra.get("maximum_spend_logs_retention_period")
    if not text:
        return None
    try:
        period = Duration.parse(str(text))
    except InvalidDuration as exc:
        logger.error("general_settings.maximum_spend_logs_retention_period: %s; keeping every log row", exc)
        return None
    return now - (period.after(now) - now)  # calendar months count as long as the coming ones
