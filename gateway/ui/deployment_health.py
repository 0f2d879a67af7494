"""What the Model health page shows per deployment: its routing state now
(cooldown, this minute's requests and tokens, from the shared state) and its
record over the last hour and day (error rate, latency percentiles and the
last error, from the spend log in one grouped query per question).

Read-only, and only when the page is asked for: nothing here runs on the
request path.
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from routing import usage
from routing.deployments import Deployment, DeploymentTable
from spend.models import SpendLog

WINDOWS = (("1h", dt.timedelta(hours=1)), ("24h", dt.timedelta(hours=24)))
FAILURE = "failure"


@dataclass(frozen=True, slots=True)
class WindowStats:
    requests: int = 0
    failures: int = 0
    p50_ms: float | None = None  # of successful requests
    p95_ms: float | None = None

    @property
    def error_rate(self) -> float | None:
        return 100.0 * self.failures / self.requests if self.requests else None


@dataclass(frozen=True, slots=True)
class LastError:
    at: dt.datetime
    error_class: str
    error_status: int | None

    def describe(self) -> str:
        """E.g. "429 rate limited · ProviderError": what an operator looks for first, then our class."""
        if not self.error_status:
            return self.error_class or "error"
        return f"{self.error_status} {_meaning(self.error_status)} · {self.error_class or 'error'}"


def _meaning(status: int) -> str:
    if status == 429:
        return "rate limited"
    if status in (401, 403):
        return "credentials refused"
    if status == 404:
        return "model not found"
    if status in (408, 504):
        return "timed out"
    return "server error" if status >= 500 else "refused"


@dataclass(frozen=True, slots=True)
class DeploymentHealth:
    deployment: Deployment
    state: str  # healthy | cooling | failing
    cooldown_until: dt.datetime | None
    last_error: LastError | None
    windows: dict[str, WindowStats]
    rpm_used: int
    tpm_used: int
    in_flight: int

    @property
    def rpm_percent(self) -> int | None:
        return _percent(self.rpm_used, self.deployment.entry.rpm)

    @property
    def tpm_percent(self) -> int | None:
        return _percent(self.tpm_used, self.deployment.entry.tpm)


def _percent(used: int, limit: int | None) -> int | None:
    return min(100, round(100 * used / limit)) if limit else None


def live_snapshots(table: DeploymentTable) -> dict[str, usage.Snapshot]:
    """Every deployment's routing state: one shared-state round trip per group.

    Called from a sync admin view, which Django runs in a thread of the ASGI
    worker; async_to_sync hands the coroutine back to the worker's own event
    loop, the one the shared-state client is bound to."""

    async def read() -> dict[str, usage.Snapshot]:
        found = {}
        for deployments in table.groups.values():
            found.update(zip((d.id for d in deployments), await usage.read_snapshots(deployments)))
        return found

    return async_to_sync(read)()


@dataclass(frozen=True, slots=True)
class Record:
    """A deployment's last day in the spend log."""

    windows: dict[str, WindowStats]
    last_failure_at: dt.datetime | None = None
    last_success_at: dt.datetime | None = None


def spend_records(ids: list[str], now: dt.datetime) -> dict[str, Record]:
    """Requests, failures and p50/p95 latency per deployment and window, and
    when each last failed and succeeded: one grouped query over the last day."""
    if connection.vendor == "postgresql":
        return _records_in_database(ids, now)
    return _records_in_python(ids, now)


def _records_in_database(ids: list[str], now: dt.datetime) -> dict[str, Record]:
    columns, params = [], []
    for _, span in WINDOWS:
        since = now - span
        columns.append("count(*) FILTER (WHERE start_time >= %s)")
        columns.append("count(*) FILTER (WHERE start_time >= %s AND status = %s)")
        # Both percentiles from one sort of the window's latencies.
        columns.append("percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY latency_ms) "
                       "FILTER (WHERE start_time >= %s AND status <> %s)")
        params += [since, since, FAILURE, since, FAILURE]
    columns.append("max(start_time) FILTER (WHERE status = %s)")
    columns.append("max(start_time) FILTER (WHERE status <> %s)")
    params += [FAILURE, FAILURE, now - WINDOWS[-1][1], ids]
    sql = (f"SELECT model_id, {', '.join(columns)} FROM {SpendLog._meta.db_table} "
           "WHERE start_time >= %s AND model_id = ANY(%s) GROUP BY model_id")
    records = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for model_id, *values in cursor.fetchall():
            windows = {}
            for index, (name, _) in enumerate(WINDOWS):
                requests, failures, percentiles = values[index * 3:index * 3 + 3]
                p50, p95 = percentiles or (None, None)
                windows[name] = WindowStats(requests, failures, p50, p95)
            records[model_id] = Record(windows, last_failure_at=values[-2], last_success_at=values[-1])
    return records


def _records_in_python(ids: list[str], now: dt.datetime) -> dict[str, Record]:
    """SQLite (the embedded gateway) has no percentile_cont: sort in Python."""
    rows = SpendLog.objects.filter(start_time__gte=now - WINDOWS[-1][1], model_id__in=ids) \
        .values_list("model_id", "start_time", "status", "latency_ms")
    by_deployment: dict[str, list[tuple]] = defaultdict(list)
    for model_id, *row in rows.iterator():
        by_deployment[model_id].append(tuple(row))
    records = {}
    for model_id, calls in by_deployment.items():
        windows = {}
        for name, span in WINDOWS:
            recent = [(status, latency) for start, status, latency in calls if start >= now - span]
            latencies = sorted(latency for status, latency in recent if status != FAILURE and latency is not None)
            windows[name] = WindowStats(
                requests=len(recent), failures=sum(1 for status, _ in recent if status == FAILURE),
                p50_ms=_percentile(latencies, 0.5), p95_ms=_percentile(latencies, 0.95))
        failed = [start for start, status, _ in calls if status == FAILURE]
        succeeded = [start for start, status, _ in calls if status != FAILURE]
        records[model_id] = Record(windows, last_failure_at=max(failed, default=None),
                                   last_success_at=max(succeeded, default=None))
    return records


def _percentile(ordered: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(fraction * 100) - 1]


def last_errors(records: dict[str, Record]) -> dict[str, LastError]:
    """The error of each deployment's latest failure: one query, by (id, time)."""
    match = Q()
    for model_id, record in records.items():
        if record.last_failure_at is not None:
            match |= Q(model_id=model_id, start_time=record.last_failure_at)
    if not match:
        return {}
    rows = SpendLog.objects.filter(match, status=FAILURE) \
        .values_list("model_id", "start_time", "error_class", "error_status")
    return {model_id: LastError(at, error_class or "", error_status)
            for model_id, at, error_class, error_status in rows}


def deployment_health(table: DeploymentTable) -> list[DeploymentHealth]:
    deployments = [d for group in table.groups.values() for d in group]
    ids = [d.id for d in deployments]
    now = timezone.now()
    snapshots = live_snapshots(table)
    records = spend_records(ids, now)
    errors = last_errors(records)
    empty = Record({name: WindowStats() for name, _ in WINDOWS})
    rows = []
    for deployment in deployments:
        snapshot = snapshots.get(deployment.id, usage.Snapshot())
        record = records.get(deployment.id, empty)
        error = errors.get(deployment.id)
        success = record.last_success_at
        if snapshot.is_cooling(now.timestamp()):
            state = "cooling"
        elif error is not None and error.at > now - WINDOWS[0][1] and (success is None or success < error.at):
            state = "failing"  # its latest call in the last hour failed
        else:
            state = "healthy"
        until = dt.datetime.fromtimestamp(snapshot.cooldown_until, tz=dt.timezone.utc) if state == "cooling" else None
        rows.append(DeploymentHealth(
            deployment=deployment, state=state, cooldown_until=until, last_error=error,
            windows=record.windows,
            rpm_used=snapshot.rpm_used, tpm_used=snapshot.tpm_used, in_flight=snapshot.in_flight))
    return rows
