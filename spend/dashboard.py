"""Reads behind the /ui spend dashboard.

Every figure comes from spend.reports.spend_by (past days from SpendDaily,
today from the log), the same function behind /global/spend and /spend/logs,
so the dashboard and the API cannot disagree. Names of keys and teams are
fetched once per table, and only for the rows shown (in chunks for a CSV).
`user_id` (None: everyone) limits every read to that user's requests.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from keys.models import Team
from spend import reports
from spend.reports import Period, Totals

# by= value: (SpendDaily field, is it read from the per-tag rows)
SPLITS = {"key": ("api_key", False), "team": ("team_id", False), "model": ("model_group", False),
          "tag": ("tag", True)}
NO_TEAM = "(no team)"
NO_KEY = "(master key)"
OTHER = "(all others)"
NAME_CHUNK = 1000  # ids per query when naming a whole table


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a ranking: a named group and its totals."""

    label: str
    totals: Totals
    detail: str = ""  # the key's short name ("sk-...abcd") beside its alias


def _filters(user_id: str | None) -> dict:
    return {"user_id": user_id} if user_id is not None else {}


def daily_totals(period: Period, *, user_id: str | None = None) -> list[tuple[dt.date, Totals]]:
    """Per day with requests, oldest first (every request once, tagged or not)."""
    return sorted((day, totals) for (day,), totals in reports.spend_by(period, ("day",),
                                                                        filters=_filters(user_id)).items())


def grand_total(days: list[tuple[dt.date, Totals]]) -> Totals:
    total = Totals()
    for _, totals in days:
        total.spend += totals.spend
        total.prompt_tokens += totals.prompt_tokens
        total.completion_tokens += totals.completion_tokens
        total.requests += totals.requests
    return total


def daily_split(period: Period, by: str, *, user_id: str | None = None,
                groups: int | None = None) -> list[tuple[dt.date, str, Totals]]:
    """(day, group name, totals), by day then spend. With `groups`, the groups
    outside the biggest `groups` (by spend over the period) add up as "other"."""
    field, is_tagged = SPLITS[by]
    found = reports.spend_by(period, ("day", field), is_tagged=is_tagged, filters=_filters(user_id))
    overall: dict[str, Decimal] = {}
    for (_, group), totals in found.items():
        overall[group] = overall.get(group, Decimal(0)) + totals.spend
    kept = set(sorted(overall, key=lambda group: (-overall[group], group))[:groups]) if groups else set(overall)
    names = _names(by, kept)
    merged: dict[tuple[dt.date, str], Totals] = {}
    for (day, group), totals in found.items():
        label = names[group] if group in kept else OTHER
        into = merged.setdefault((day, label), Totals())
        into.spend += totals.spend
        into.prompt_tokens += totals.prompt_tokens
        into.completion_tokens += totals.completion_tokens
        into.requests += totals.requests
    return sorted(((day, label, totals) for (day, label), totals in merged.items()),
                  key=lambda item: (item[0], -item[2].spend, item[1]))


def ranking(period: Period, by: str, *, user_id: str | None = None, limit: int | None = None) -> tuple[list[Row], int]:
    """The groups with the most spend, named; and how many groups there are in all."""
    field, is_tagged = SPLITS[by]
    found = reports.spend_by(period, (field,), is_tagged=is_tagged, filters=_filters(user_id))
    ranked = sorted(found.items(), key=lambda item: (-item[1].spend, item[0]))[:limit]
    groups = [group for (group,), _ in ranked]
    if by == "key":
        names = _key_names(groups)
        return [Row(label=names.get(key, (None, None))[0] or _unnamed_key(key),
                    detail=names.get(key, (None, None))[1] or "", totals=totals)
                for (key,), totals in ranked], len(found)
    names = _names(by, groups)
    return [Row(label=names[group], totals=totals) for (group,), totals in ranked], len(found)


def _names(by: str, groups) -> dict[str, str]:
    """Display names: keys by alias (else short name), teams by alias (else id)."""
    groups = list(groups)
    if by == "key":
        names = _key_names(groups)
        return {key: names.get(key, (None, None))[0] or names.get(key, (None, None))[1] or _unnamed_key(key)
                for key in groups}
    if by == "team":
        aliases: dict[str, str | None] = {}
        ids = [team_id for team_id in groups if team_id]
        for start in range(0, len(ids), NAME_CHUNK):
            aliases.update(Team.objects.filter(team_id__in=ids[start:start + NAME_CHUNK])
                           .values_list("team_id", "team_alias"))
        return {team_id: (aliases.get(team_id) or team_id) if team_id else NO_TEAM for team_id in groups}
    return {group: group or "(none)" for group in groups}


def _key_names(tokens: list[str]) -> dict[str, tuple[str | None, str | None]]:
    names: dict[str, tuple[str | None, str | None]] = {}
    for start in range(0, len(tokens), NAME_CHUNK):
        names.update(reports.key_names(set(tokens[start:start + NAME_CHUNK])))
    return names


def _unnamed_key(token: str) -> str:
    return token[:12] if token else NO_KEY


def money(amount: Decimal) -> str:
    """$ with every recorded digit, at least six decimals: $0.001234, $12.500000."""
    text = f"{amount:.10f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"${whole}.{decimals.ljust(6, '0')}"
