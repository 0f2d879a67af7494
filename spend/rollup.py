"""The daily roll-up: SpendDaily rows recomputed from the spend log, one day at a time.

Two kinds of rows, so that no report counts a request twice:
- tag == "": every request of the day, tagged or not. Totals read these rows only.
- tag != "": one row per tag, for the requests that carried it ([a, b] counts
  once under "a" and once under "b"). Tag reports read these rows only, so
  their sum may exceed the day's total; that is what tags mean.

Each roll-up of a day also replaces the day's SpendDailyBy rows, summed from
the same rows: per key, team and model group from the tag == "" rows, per tag
from the tagged ones (the /ui dashboard reads those for everyone's spend).

A day is a calendar day in `litellm_settings.timezone` (UTC by default). Rows
already rolled up keep the days of the timezone they were computed in; only a
new roll-up of a day moves it to a new timezone.
"""
from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection, transaction
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Coalesce

from gateway.config.schema import GatewayConfig
from spend.models import SpendDaily, SpendDailyBy, SpendLog

logger = logging.getLogger("spend.rollup")

# pg_advisory_xact_lock(ROLLUP_LOCK_CLASS, day.toordinal()): one roll-up of a day at a time.
ROLLUP_LOCK_CLASS = 0x53504431  # "SPD1"
TAG_MAX_LENGTH = SpendDaily._meta.get_field("tag").max_length
MONEY_PLACES = Decimal(1).scaleb(-SpendDaily._meta.get_field("spend").decimal_places)
GROUP_FIELDS = ("api_key", "team_id", "user_id", "end_user", "model_group")


def configured_timezone(config: GatewayConfig) -> str:
    """litellm_settings.timezone when it names a real zone, else UTC."""
    name = config.litellm_settings.extra.get("timezone") or "UTC"
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("litellm_settings.timezone %r is not a known time zone; using UTC", name)
        return "UTC"
    return str(name)


def local_today(timezone_name: str, now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(ZoneInfo(timezone_name)).date()


def day_bounds(day: dt.date, timezone_name: str) -> tuple[dt.datetime, dt.datetime]:
    """The day as a half-open UTC interval [start, end)."""
    zone = ZoneInfo(timezone_name)
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def roll_up_day(day: dt.date, timezone_name: str = "UTC") -> int:
    """Replace the day's SpendDaily rows with ones recomputed from the log; return how many.

    Idempotent: the day's rows are deleted and re-inserted in one transaction,
    so running it twice leaves the same rows. Safe on several workers at once:
    on PostgreSQL a transaction-scoped advisory lock per day makes a second
    roll-up of the same day wait for the first, then redo it; on SQLite the
    DELETE comes first so the transaction holds the write lock before it reads.
    Days whose log rows were pruned must not be rolled up again (spend.tasks
    never does): their rows would be recomputed from nothing.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ROLLUP_LOCK_CLASS, day.toordinal()])
        SpendDaily.objects.filter(day=day).delete()
        SpendDailyBy.objects.filter(day=day).delete()
        rows = aggregate_day(day, timezone_name)
        SpendDaily.objects.bulk_create(rows, batch_size=500)
        SpendDailyBy.objects.bulk_create(by_dimension(day, rows), batch_size=500)
    return len(rows)


def by_dimension(day: dt.date, rows: list[SpendDaily]) -> list[SpendDailyBy]:
    """The day's rows summed per key, team, model group (tag == "" rows) and tag (the tagged rows)."""
    sums: dict[tuple[str, str], SpendDailyBy] = {}
    for row in rows:
        dimensions = ("tag",) if row.tag else ("key", "team", "model")
        for dimension in dimensions:
            value = getattr(row, SpendDailyBy.DIMENSIONS[dimension])
            total = sums.setdefault((dimension, value), SpendDailyBy(day=day, dimension=dimension, value=value))
            total.spend += row.spend
            total.prompt_tokens += row.prompt_tokens
            total.completion_tokens += row.completion_tokens
            total.requests += row.requests
            total.failed_requests += row.failed_requests
    return list(sums.values())


def aggregate_day(day: dt.date, timezone_name: str = "UTC", *, include_tags: bool = True) -> list[SpendDaily]:
    """The day's roll-up rows, computed from the log and not saved (reports read today's this way)."""
    start, end = day_bounds(day, timezone_name)
    rows = _totals(day, start, end)
    if include_tags:
        rows += _tag_totals(day, start, end)
    return rows


def aggregate_day_by(day: dt.date, timezone_name: str, dimension: str) -> list[tuple]:
    """The day's sums of one dimension (SpendDailyBy's, from the log, not saved) in one GROUP BY:
    [(value, spend, prompt_tokens, completion_tokens, requests, failed_requests)]. The dashboard
    reads today's this way; plain tuples, as today's keys may be tens of thousands. (One query
    per dimension: a single GROUP BY over key, team and model, folded in Python, measured slower.)"""
    start, end = day_bounds(day, timezone_name)
    if dimension == "tag":
        return _tag_sums(start, end)
    sql = _DIMENSION_SUMS_SQL.format(table=connection.ops.quote_name(SpendLog._meta.db_table),
                                     column=SpendDailyBy.DIMENSIONS[dimension])
    with connection.cursor() as cursor:  # raw rows: the ORM's per-value converters cost more than the query
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(start),
                             connection.ops.adapt_datetimefield_value(end)])
        return [(value, _money(spend), int(prompt or 0), int(completion or 0), requests, int(failed))
                for value, spend, prompt, completion, requests, failed in cursor.fetchall()]


_DIMENSION_SUMS_SQL = """
SELECT COALESCE({column}, ''), SUM(spend), SUM(prompt_tokens), SUM(completion_tokens), COUNT(*),
       SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END)
FROM {table}
WHERE start_time >= %s AND start_time < %s
GROUP BY COALESCE({column}, '')
"""


# Per tag only: on PostgreSQL each request's distinct tags are found beside it
# (LATERAL), which spares the DISTINCT over every (request, tag) of the day.
_TAG_SUMS_SQL = """
SELECT t.tag, SUM(l.spend), SUM(l.prompt_tokens), SUM(l.completion_tokens), COUNT(*),
       SUM(CASE WHEN l.status = 'failure' THEN 1 ELSE 0 END)
FROM {table} l CROSS JOIN LATERAL (
    SELECT DISTINCT substr(value, 1, {tag_length}) AS tag
    FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(l.request_tags) = 'array'
                                        THEN l.request_tags ELSE '[]'::jsonb END)
) AS t
WHERE l.start_time >= %s AND l.start_time < %s AND t.tag <> ''
GROUP BY t.tag
"""


def _tag_sums(start: dt.datetime, end: dt.datetime) -> list[tuple]:
    if connection.vendor != "postgresql":
        return _tag_rows(start, end, "tag")
    sql = _TAG_SUMS_SQL.format(table=connection.ops.quote_name(SpendLog._meta.db_table), tag_length=TAG_MAX_LENGTH)
    with connection.cursor() as cursor:
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(start),
                             connection.ops.adapt_datetimefield_value(end)])
        return [(tag, _money(spend), int(prompt or 0), int(completion or 0), int(requests), int(failed))
                for tag, spend, prompt, completion, requests, failed in cursor.fetchall()]


def _totals(day: dt.date, start: dt.datetime, end: dt.datetime) -> list[SpendDaily]:
    groups = (SpendLog.objects.filter(start_time__gte=start, start_time__lt=end)
              .annotate(g_team=Coalesce("team_id", Value("")), g_user=Coalesce("user_id", Value("")),
                        g_end_user=Coalesce("end_user", Value("")))
              .values("api_key", "g_team", "g_user", "g_end_user", "model_group")
              .annotate(s_spend=Sum("spend"), s_prompt=Sum("prompt_tokens"), s_completion=Sum("completion_tokens"),
                        n_requests=Count("request_id"), n_failed=Count("request_id", filter=Q(status="failure"))))
    return [SpendDaily(day=day, api_key=g["api_key"], team_id=g["g_team"], user_id=g["g_user"],
                       end_user=g["g_end_user"], model_group=g["model_group"], tag="",
                       spend=_money(g["s_spend"]), prompt_tokens=g["s_prompt"] or 0,
                       completion_tokens=g["s_completion"] or 0, requests=g["n_requests"],
                       failed_requests=g["n_failed"])
            for g in groups]


# One row per (request, distinct tag): the JSON array is unnested by the
# database; only this clause differs between PostgreSQL and SQLite.
_UNNEST_TAGS = {
    "postgresql": "CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(l.request_tags) = 'array' "
                  "THEN l.request_tags ELSE '[]'::jsonb END) AS t(value)",
    "sqlite": ", json_each(CASE WHEN json_type(l.request_tags) = 'array' THEN l.request_tags ELSE '[]' END) AS t",
}
_TAG_TOTALS_SQL = """
SELECT {groups}, SUM(spend), SUM(prompt_tokens),
       SUM(completion_tokens), COUNT(*), SUM(CASE WHEN status = 'failure' THEN 1 ELSE 0 END)
FROM (
    SELECT DISTINCT l.request_id, l.api_key, COALESCE(l.team_id, '') AS team_id,
           COALESCE(l.user_id, '') AS user_id, COALESCE(l.end_user, '') AS end_user, l.model_group,
           substr(CAST(t.value AS TEXT), 1, {tag_length}) AS tag, l.spend, l.prompt_tokens,
           l.completion_tokens, l.status
    FROM {table} l {unnest}
    WHERE l.start_time >= %s AND l.start_time < %s
) AS tagged
WHERE tag <> ''
GROUP BY {groups}
"""
_TAG_GROUPS = "api_key, team_id, user_id, end_user, model_group, tag"


def _tag_totals(day: dt.date, start: dt.datetime, end: dt.datetime) -> list[SpendDaily]:
    return [SpendDaily(day=day, api_key=api_key, team_id=team_id, user_id=user_id, end_user=end_user,
                       model_group=model_group, tag=tag, spend=spend, prompt_tokens=prompt,
                       completion_tokens=completion, requests=requests, failed_requests=failed)
            for api_key, team_id, user_id, end_user, model_group, tag, spend, prompt, completion, requests, failed
            in _tag_rows(start, end, _TAG_GROUPS)]


def _tag_rows(start: dt.datetime, end: dt.datetime, groups: str) -> list[tuple]:
    if connection.vendor not in _UNNEST_TAGS:
        raise NotImplementedError(f"the roll-up by tag knows PostgreSQL and SQLite, not {connection.vendor}")
    sql = _TAG_TOTALS_SQL.format(table=connection.ops.quote_name(SpendLog._meta.db_table), groups=groups,
                                 unnest=_UNNEST_TAGS[connection.vendor], tag_length=TAG_MAX_LENGTH)
    params = [connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(*row[:-5], _money(row[-5]), int(row[-4] or 0), int(row[-3] or 0), int(row[-2]), int(row[-1]))
                for row in cursor.fetchall()]


def _money(value) -> Decimal:
    """SQLite sums money as floats; keep the column's precision, not the float's noise."""
    if value is None:
        return Decimal(0)
    amount = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return amount.quantize(MONEY_PLACES)
