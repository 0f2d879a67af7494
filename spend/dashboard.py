"""Reads behind the /ui spend dashboard.

Every figure comes from spend.reports.spend_by (past days from SpendDaily,
today from the log), the same function behind /global/spend and /spend/logs,
so the dashboard and the API cannot disagree. No query per row: names of
keys and teams are fetched once per table.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from keys.models import Team
from spend import reports
from spend.reports import Period, Totals

# by= value: (SpendDaily field, is the split read from the per-tag rows)
SPLITS = {"key": ("api_key", False), "team": ("team_id", False), "model": ("model_group", False),
          "tag": ("tag", True)}
NO_TEAM = "(no team)"
NO_KEY = "(master key)"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a dashboard table: a day or a named group, and its totals."""

    label: str
    totals: Totals
    detail: str = ""  # e.g. the key's short name beside its alias


@dataclass(slots=True)
class Dashboard:
    period: Period
    by: str
    total: Totals
    days: list[tuple[dt.date, Totals]]
    split: list[tuple[dt.date, str, Totals]]  # (day, group label, totals)
    keys: list[Row] = field(default_factory=list)
    teams: list[Row] = field(default_factory=list)
    models: list[Row] = field(default_factory=list)
    tags: list[Row] = field(default_factory=list)


def dashboard_read(period: Period, by: str, *, user_id: str | None = None) -> Dashboard:
    """The dashboard for `period`, split by `by`; `user_id` limits it to that user's requests."""
    filters = {"user_id": user_id} if user_id is not None else {}
    daily = reports.spend_by(period, ("day",), filters=filters)
    days = sorted((day, totals) for (day,), totals in daily.items())
    total = Totals()
    for _, totals in days:
        _accumulate(total, totals)
    field_name, is_tagged = SPLITS[by]
    split_groups = reports.spend_by(period, ("day", field_name), is_tagged=is_tagged, filters=filters)
    labels = _labeller(by, {group for _, group in split_groups})
    split = sorted(((day, labels(group), totals) for (day, group), totals in split_groups.items()),
                   key=lambda item: (item[0], -item[2].spend))
    return Dashboard(period=period, by=by, total=total, days=days, split=split,
                     keys=_ranked(period, "key", filters), teams=_ranked(period, "team", filters),
                     models=_ranked(period, "model", filters), tags=_ranked(period, "tag", filters))


def _ranked(period: Period, by: str, filters: dict) -> list[Row]:
    field_name, is_tagged = SPLITS[by]
    groups = reports.spend_by(period, (field_name,), is_tagged=is_tagged, filters=filters)
    ranked = sorted(groups.items(), key=lambda item: (-item[1].spend, item[0]))
    if by == "key":
        names = reports.key_names({key for (key,), _ in ranked})
        return [Row(label=names.get(key, (None, None))[0] or (NO_KEY if not key else key[:12]),
                    detail=names.get(key, (None, None))[1] or "", totals=totals)
                for (key,), totals in ranked]
    label = _labeller(by, {group for (group,), _ in ranked})
    return [Row(label=label(group), totals=totals) for (group,), totals in ranked]


def _labeller(by: str, groups: set[str]):
    """How a group is named: teams by alias, keys by alias (else their short name)."""
    if by == "team":
        aliases = dict(Team.objects.filter(team_id__in=groups - {""}).values_list("team_id", "team_alias"))
        return lambda team_id: (aliases.get(team_id) or team_id) if team_id else NO_TEAM
    if by == "key":
        names = reports.key_names(groups)
        return lambda key: (names.get(key, (None, None))[0] or names.get(key, (None, None))[1]
                            or (key[:12] if key else NO_KEY))
    return lambda group: group or "(none)"


def _accumulate(into: Totals, totals: Totals) -> None:
    into.spend += totals.spend
    into.prompt_tokens += totals.prompt_tokens
    into.completion_tokens += totals.completion_tokens
    into.requests += totals.requests


def money(amount: Decimal) -> str:
    """$ with every recorded digit, at least six decimals: $0.001234, $12.500000."""
    text = f"{amount:.10f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(6, '0')}"
