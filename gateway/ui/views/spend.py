"""/ui/spend/: spend, requests and tokens per day, split by key, team, model
group or tag, with the top keys, teams, models and tags; every table and
chart also as CSV (?format=csv&table=<name>, same filters)."""
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
from spend.dashboard import money
from spend.reports import Period, Totals

SPLIT_LABELS = {"key": "key", "team": "team", "model": "model group", "tag": "tag"}
STACKED_GROUPS = 5  # the split chart stacks the five biggest groups, then "all others"
TOP_ROWS = 10
# CSV table name: (ranking's by=, column, panel title)
RANKINGS = {"keys": ("key", "Key", "Top keys"), "teams": ("team", "Team", "Top teams"),
            "models": ("model", "Model group", "Top model groups"), "tags": ("tag", "Tag", "Top tags")}
TABLES = ("daily", "split", *RANKINGS)
AMOUNTS = ("spend", "requests", "prompt_tokens", "completion_tokens", "total_tokens")


def urls(site) -> list:
    return [path("spend/", site.admin_view(spend_dashboard), name="spend")]


def spend_dashboard(request: HttpRequest) -> HttpResponse:
    period, by, problem = _parse(request)
    rights = rights_of(request)
    user_id = None if rights.reads_everything else rights.actor.user_id
    reader = dashboard.SpendReader(period, user_id=user_id)
    if request.GET.get("format") == "csv":
        return _csv(reader, by, request.GET.get("table", "daily"))
    days = dashboard.daily_totals(reader)
    total = dashboard.grand_total(days)
    tops, biggest = {}, {}
    for table, (ranking_by, *_) in RANKINGS.items():
        tops[table], biggest[ranking_by] = _top(table, reader, ranking_by, total)
    split = dashboard.daily_split_top(reader, by, biggest[by][:STACKED_GROUPS], days)
    context = {
        **ui_site.each_context(request),
        "title": "Spend", "problem": problem, "by": by, "split_labels": SPLIT_LABELS, "total": total,
        "start": period.start.isoformat(), "end": period.end.isoformat(), "timezone": period.timezone,
        "total_spend": money(total.spend), "csv": {name: _csv_url(request, name) for name in TABLES},
        "charts": _charts(period, by, days, split),
        "tops": list(tops.values()), "is_own_only": user_id is not None,
    }
    return TemplateResponse(request, "ui/spend/dashboard.html", context)


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


def _top(table: str, reader: dashboard.SpendReader, by: str, total: Totals) -> tuple[dict, list[str]]:
    """A ranking's first rows, each with its share of the period's spend for its bar; and their ids."""
    _, column, title = RANKINGS[table]
    rows, ids, count, is_capped = dashboard.ranking(reader, by, limit=TOP_ROWS)
    whole = total.spend or Decimal(1)
    shown = [{"label": row.label, "detail": row.detail, "spend": money(row.totals.spend),
              "requests": row.totals.requests, "tokens": row.totals.total_tokens,
              "share": min(100, round(float(row.totals.spend / whole) * 100))} for row in rows]
    return {"title": title, "table": table, "column": column, "rows": shown, "more": max(0, count - len(rows)),
            "more_is_a_floor": is_capped}, ids


def _every_day(period: Period) -> list[dt.date]:
    """The period's days up to today, so quiet days show as empty bars."""
    last = min(period.end, period.today)
    return [period.start + dt.timedelta(days=n) for n in range(max((last - period.start).days + 1, 0))]


def _charts(period: Period, by: str, days: list[tuple[dt.date, Totals]],
            split: list[tuple[dt.date, str, Totals]]) -> list[dict]:
    every_day = _every_day(period)
    by_day = dict(days)
    labels = charts.day_labels(every_day)

    def series(name: str, value) -> list[charts.Series]:
        return [charts.Series(name, [value(by_day[day]) if day in by_day else 0 for day in every_day])]

    stacked: dict[str, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for day, label, totals in split:
        stacked[label][day] += totals.spend
    order = sorted(stacked, key=lambda label: (label == dashboard.OTHER, -sum(stacked[label].values())))
    return [
        {"table": "daily", "svg": charts.bar_chart("Spend per day (USD)", labels,
                                                   series("spend", lambda t: t.spend), _short_money)},
        {"table": "daily", "svg": charts.bar_chart("Requests per day", labels,
                                                   series("requests", lambda t: t.requests), _count)},
        {"table": "daily", "svg": charts.bar_chart("Tokens per day", labels,
                                                   series("tokens", lambda t: t.total_tokens), _count)},
        {"table": "split", "svg": charts.bar_chart(
            f"Spend per day by {SPLIT_LABELS[by]} (USD)", labels,
            [charts.Series(label, [stacked[label][day] for day in every_day]) for label in order], _short_money)},
    ]


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


def _figures(totals: Totals) -> list:
    return [totals.spend, totals.requests, totals.prompt_tokens, totals.completion_tokens, totals.total_tokens]


def _csv(reader: dashboard.SpendReader, by: str, table: str) -> HttpResponse:
    """One table, every row (not only the ones the page shows)."""
    if table not in TABLES:
        raise Http404(f"No table {table!r}; one of {', '.join(TABLES)}")
    filename = f"spend-{table}-{reader.period.start}-{reader.period.end}.csv"
    if table == "daily":
        days = dashboard.daily_totals(reader)
        return csv_response(filename, ("day", *AMOUNTS), ([day.isoformat(), *_figures(t)] for day, t in days))
    if table == "split":
        split = dashboard.daily_split(reader, by)
        return csv_response(filename, ("day", by, *AMOUNTS),
                            ([day.isoformat(), label, *_figures(t)] for day, label, t in split))
    ranking_by, _, _ = RANKINGS[table]
    rows, *_ = dashboard.ranking(reader, ranking_by)
    if table == "keys":
        return csv_response(filename, ("key_alias", "key_name", *AMOUNTS),
                            ([row.label, row.detail, *_figures(row.totals)] for row in rows))
    name = {"teams": "team", "models": "model_group", "tags": "tag"}[table]
    return csv_response(filename, (name, *AMOUNTS), ([row.label, *_figures(row.totals)] for row in rows))
