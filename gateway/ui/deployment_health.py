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
from django.db.models import Max, Q
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


def window_stats(ids: list[str], now: dt.datetime) -> dict[str, dict[str, WindowStats]]:
    """Requests, failures and p50/p95 latency per deployment and window."""
    if connection.vendor == "postgresql":
        return _window_stats_in_database(ids, now)
    return _window_stats_in_python(ids, now)


def _window_stats_in_database(ids: list[str], now: dt.datetime) -> dict[str, dict[str, WindowStats]]:
    columns, params = [], []
    for _, span in WINDOWS:
        since = now - span
        columns.append("count(*) FILTER (WHERE start_time >= %s)")
        columns.append("count(*) FILTER (WHERE start_time >= %s AND status = %s)")
        columns.append("percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) "
                       "FILTER (WHERE start_time >= %s AND status <> %s)")
        columns.append("percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) "
                       "FILTER (WHERE start_time >= %s AND status <> %s)")
        params += [since, since, FAILURE, since, FAILURE, since, FAILURE]
    sql = (f"SELECT model_id, {', '.join(columns)} FROM {SpendLog._meta.db_table} "
           "WHERE start_time >= %s AND model_id = ANY(%s) GROUP BY model_id")
    params += [now - WINDOWS[-1][1], ids]
    stats: dict[str, dict[str, WindowStats]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for model_id, *values in cursor.fetchall():
            stats[model_id] = {name: WindowStats(*values[index * 4:index * 4 + 4])
                               for index, (name, _) in enumerate(WINDOWS)}
    return stats


def _window_stats_in_python(ids: list[str], now: dt.datetime) -> dict[str, dict[str, WindowStats]]:
    """SQLite (the embedded gateway) has no percentile_cont: sort in Python."""
    rows = SpendLog.objects.filter(start_time__gte=now - WINDOWS[-1][1], model_id__in=ids) \
        .values_list("model_id", "start_time", "status", "latency_ms")
    by_deployment: dict[str, list[tuple]] = defaultdict(list)
    for model_id, *row in rows.iterator():
        by_deployment[model_id].append(tuple(row))
    stats = {}
    for model_id, calls in by_deployment.items():
        stats[model_id] = {}
        for name, span in WINDOWS:
            recent = [(status, latency) for start, status, latency in calls if start >= now - span]
            latencies = sorted(latency for status, latency in recent if status != FAILURE and latency is not None)
            stats[model_id][name] = WindowStats(
                requests=len(recent), failures=sum(1 for status, _ in recent if status == FAILURE),
                p50_ms=_percentile(latencies, 0.5), p95_ms=_percentile(latencies, 0.95))
    return stats


def _percentile(ordered: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not ordered:
        return None
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[round(fraction * 100) - 1]


def latest_outcomes(ids: list[str], now: dt.datetime) -> tuple[dict[str, LastError], dict[str, dt.datetime]]:
    """Each deployment's latest failure in the last day (with its error), and
    its latest success: two grouped queries and one for the failure rows."""
    recent = SpendLog.objects.filter(start_time__gte=now - WINDOWS[-1][1], model_id__in=ids)
    last_failure = dict(recent.filter(status=FAILURE).values("model_id").annotate(at=Max("start_time"))
                        .values_list("model_id", "at"))
    last_success = dict(recent.exclude(status=FAILURE).values("model_id").annotate(at=Max("start_time"))
                        .values_list("model_id", "at"))
    errors: dict[str, LastError] = {}
    if last_failure:
        match = Q()
        for model_id, at in last_failure.items():
            match |= Q(model_id=model_id, start_time=at)
        for model_id, at, error_class, error_status in recent.filter(match, status=FAILURE) \
                .values_list("model_id", "start_time", "error_class", "error_status"):
            errors[model_id] = LastError(at, error_class or "", error_status)
    return errors, last_success


def deployment_health(table: DeploymentTable) -> list[DeploymentHealth]:
    deployments = [d for group in table.groups.values() for d in group]
    ids = [d.id for d in deployments]
    now = timezone.now()
    snapshots = live_snapshots(table)
    stats = window_stats(ids, now)
    errors, last_success = latest_outcomes(ids, now)
    rows = []
    for deployment in deployments:
        snapshot = snapshots.get(deployment.id, usage.Snapshot())
        error = errors.get(deployment.id)
        success = last_success.get(deployment.id)
        if snapshot.is_cooling(now.timestamp()):
            state = "cooling"
        elif error is not None and error.at > now - WINDOWS[0][1] and (success is None or success < error.at):
            state = "failing"  # its latest call in the last hour failed
        else:
            state = "healthy"
        until = dt.datetime.fromtimestamp(snapshot.cooldown_until, tz=dt.timezone.utc) if state == "cooling" else None
        rows.append(DeploymentHealth(
            deployment=deployment, state=state, cooldown_until=until, last_error=error,
            windows=stats.get(deployment.id, {name: WindowStats() for name, _ in WINDOWS}),
            rpm_used=snapshot.rpm_used, tpm_used=snapshot.tpm_used, in_flight=snapshot.in_flight))
    return rows
