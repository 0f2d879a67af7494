"""/ui/spend/: spend, requests and tokens per day, split by key, team, model
group or tag, with the top keys, teams, models and tags; every table and
chart also as CSV (?format=csv&table=<name>)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from gateway.proxy import runtime
from gateway.ui import charts
from gateway.ui.csv_export import csv_response
from gateway.ui.rights import rights_of
from gateway.ui.site import site as ui_site
from spend import dashboard, rollup
from spend.dashboard import Dashboard, money
from spend.reports import Period

SPLIT_LABELS = {"key": "key", "team": "team", "model": "model group", "tag": "tag"}
STACKED_GROUPS = 5  # the split chart shows the five biggest groups, then "other"
TOP_ROWS = 10
TABLES = ("daily", "split", "keys", "teams", "models", "tags")


def urls(site) -> list:
    return [path("spend/", site.admin_view(spend_dashboard), name="spend")]


def spend_dashboard(request: HttpRequest) -> HttpResponse:
    period, by, problem = _parse(request)
    rights = rights_of(request)
    board = dashboard.dashboard_read(period, by, user_id=None if rights.reads_everything else rights.actor.user_id)
    if request.GET.get("format") == "csv":
        return _csv(board, request.GET.get("table", "daily"))
    days = _every_day(board)
    context = {
        **ui_site.each_context(request),
        "title": "Spend", "board": board, "problem": problem, "by": by, "split_labels": SPLIT_LABELS,
        "start": period.start.isoformat(), "end": period.end.isoformat(), "timezone": period.timezone,
        "total_spend": money(board.total.spend), "csv": {name: _csv_url(request, name) for name in TABLES},
        "charts": _charts(board, days),
        "tops": [_top("Top keys", "keys", board.keys, "Key", board),
                 _top("Top teams", "teams", board.teams, "Team", board),
                 _top("Top model groups", "models", board.models, "Model group", board),
                 _top("Top tags", "tags", board.tags, "Tag", board)],
        "is_own_only": not rights.reads_everything,
    }
    return TemplateResponse(request, "ui/spend/dashboard.html", context)


def _top(title: str, table: str, rows: list[dashboard.Row], column: str, board: Dashboard) -> dict:
    """The first rows of a ranking, with each row's share of the period's spend for its bar."""
    whole = board.total.spend or Decimal(1)
    shown = [{"label": row.label, "detail": row.detail, "spend": money(row.totals.spend),
              "requests": row.totals.requests, "tokens": row.totals.total_tokens,
              "share": min(100, round(float(row.totals.spend / whole) * 100))} for row in rows[:TOP_ROWS]]
    return {"title": title, "table": table, "column": column, "rows": shown, "more": max(0, len(rows) - TOP_ROWS)}


def _parse(request: HttpRequest) -> tuple[Period, str, str]:
    """The period (default: the last 30 days, as /global/spend) and the split; a bad value is named, not fatal."""
    timezone_name = rollup.configured_timezone(runtime.current().config)
    default = Period.last_30_days(timezone_name)
    problem = ""
    try:
        start = dt.date.fromisoformat(request.GET["start"]) if request.GET.get("start") else default.start
        end = dt.date.fromisoformat(request.GET["end"]) if request.GET.get("end") else default.end
    except ValueError:
        start, end, problem = default.start, default.end, "Dates are YYYY-MM-DD; showing the last 30 days."
    if end < start:
        start, end, problem = default.start, default.end, "The end is before the start; showing the last 30 days."
    by = request.GET.get("by", "key")
    if by not in dashboard.SPLITS:
        by, problem = "key", f"Split by one of {', '.join(dashboard.SPLITS)}; showing by key."
    return Period.of(start, end, timezone_name), by, problem


def _every_day(board: Dashboard) -> list[dt.date]:
    """The period's days up to today, so quiet days show as empty bars."""
    last = min(board.period.end, board.period.today)
    count = (last - board.period.start).days + 1
    return [board.period.start + dt.timedelta(days=n) for n in range(max(count, 0))]


def _charts(board: Dashboard, days: list[dt.date]) -> list[dict]:
    by_day = dict(board.days)
    labels = charts.day_labels(days)

    def series(name: str, value) -> list[charts.Series]:
        return [charts.Series(name, [value(by_day[day]) if day in by_day else 0 for day in days])]

    return [
        {"table": "daily", "svg": charts.bar_chart("Spend per day (USD)", labels,
                                                   series("spend", lambda t: t.spend), _short_money)},
        {"table": "daily", "svg": charts.bar_chart("Requests per day", labels,
                                                   series("requests", lambda t: t.requests), _count)},
        {"table": "daily", "svg": charts.bar_chart("Tokens per day", labels,
                                                   series("tokens", lambda t: t.total_tokens), _count)},
        {"table": "split", "svg": charts.bar_chart(f"Spend per day by {SPLIT_LABELS[board.by]} (USD)", labels,
                                                   _split_series(board, days), _short_money)},
    ]


def _split_series(board: Dashboard, days: list[dt.date]) -> list[charts.Series]:
    overall: dict[str, Decimal] = defaultdict(Decimal)
    for _, label, totals in board.split:
        overall[label] += totals.spend
    biggest = sorted(overall, key=lambda label: -overall[label])[:STACKED_GROUPS]
    names = biggest + (["other"] if len(overall) > STACKED_GROUPS else [])
    values = {name: defaultdict(Decimal) for name in names}
    for day, label, totals in board.split:
        values[label if label in biggest else "other"][day] += totals.spend
    return [charts.Series(name, [values[name][day] for day in days]) for name in names]


def _short_money(value) -> str:
    value = Decimal(value)
    if value == 0:
        return "$0"
    return f"${value:.2f}" if value >= 1 else f"${value:.3g}"


def _count(value) -> str:
    value = float(value)
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"{value / 1_000:.1f}k"
    return f"{value:g}"


def _csv_url(request: HttpRequest, table: str) -> str:
    query = request.GET.copy()
    query["format"], query["table"] = "csv", table
    return f"{request.path}?{query.urlencode()}"


def _csv(board: Dashboard, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404(f"No table {table!r}; one of {', '.join(TABLES)}")
    amounts = ("spend", "requests", "prompt_tokens", "completion_tokens", "total_tokens")
    filename = f"spend-{table}-{board.period.start}-{board.period.end}.csv"

    def figures(totals) -> list:
        return [totals.spend, totals.requests, totals.prompt_tokens, totals.completion_tokens, totals.total_tokens]

    if table == "daily":
        return csv_response(filename, ("day", *amounts), ([day.isoformat(), *figures(t)] for day, t in board.days))
    if table == "split":
        return csv_response(filename, ("day", board.by, *amounts),
                            ([day.isoformat(), label, *figures(t)] for day, label, t in board.split))
    rows = getattr(board, table)
    if table == "keys":
        return csv_response(filename, ("key_alias", "key_name", *amounts),
                            ([row.label, row.detail, *figures(row.totals)] for row in rows))
    name = {"teams": "team", "models": "model_group", "tags": "tag"}[table]
    return csv_response(filename, (name, *amounts), ([row.label, *figures(row.totals)] for row in rows))
