"""Reads behind the /ui spend dashboard.

Every figure is read as spend.reports.spend_by reads it (behind /global/spend
and /spend/logs): past days from SpendDaily's tag == "" rows (tags: the other
rows), today from the log, so the dashboard and the API agree (the tests
check it to the cent). Today's log is aggregated once per page, not once per
table. Keys and teams are named once per table, only for the rows shown (in
chunks for a CSV). `user_id` (None: everyone) limits every read to that
user's requests.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from keys.models import Team
from spend import reports, rollup
from spend.models import SpendDaily
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


class SpendReader:
    """spend.reports.spend_by's reads (past days from SpendDaily, today from the
    log) with today's log aggregated once per page rather than once per table,
    and groups that can be limited to a few ids (the split chart's biggest)."""

    def __init__(self, period: Period, *, user_id: str | None = None) -> None:
        self.period = period
        self.filters = {"user_id": user_id} if user_id is not None else {}
        self._today: list | None = None

    def today(self) -> list:
        if self._today is None:
            rows = []
            if self.period.includes(self.period.today):
                rows = rollup.aggregate_day(self.period.today, self.period.timezone, include_tags=True)
            self._today = [row for row in rows if all(getattr(row, f) == v for f, v in self.filters.items())]
        return self._today

    def sums(self, dims: tuple[str, ...], *, is_tagged: bool = False,
             only: tuple[str, set] | None = None) -> dict[tuple, Totals]:
        """Totals per combination of `dims`; `only` = (field, ids) keeps those groups alone."""
        period = self.period
        rolled = SpendDaily.objects.filter(day__lt=period.today, **self.filters)
        if period.start:
            rolled = rolled.filter(day__gte=period.start)
        if period.end:
            rolled = rolled.filter(day__lte=period.end)
        rolled = rolled.exclude(tag="") if is_tagged else rolled.filter(tag="")
        if only:
            rolled = rolled.filter(**{f"{only[0]}__in": only[1]})
        result: dict[tuple, Totals] = defaultdict(Totals)
        for row in rolled.values(*dims).annotate(s_spend=Sum("spend"), s_prompt=Sum("prompt_tokens"),
                                                 s_completion=Sum("completion_tokens"),
                                                 s_requests=Sum("requests")).order_by():
            _add(result[tuple(row[d] for d in dims)], row["s_spend"], row["s_prompt"], row["s_completion"],
                 row["s_requests"])
        for row in self.today():
            if (row.tag != "") == is_tagged and (not only or getattr(row, only[0]) in only[1]):
                _add(result[tuple(getattr(row, d) for d in dims)], row.spend, row.prompt_tokens,
                     row.completion_tokens, row.requests)
        return dict(result)


def _add(totals: Totals, spend, prompt, completion, requests) -> None:
    totals.spend += Decimal(spend or 0)
    totals.prompt_tokens += int(prompt or 0)
    totals.completion_tokens += int(completion or 0)
    totals.requests += int(requests or 0)


def daily_totals(reader: SpendReader) -> list[tuple[dt.date, Totals]]:
    """Per day with requests, oldest first (every request once, tagged or not)."""
    return sorted((day, totals) for (day,), totals in reader.sums(("day",)).items())


def grand_total(days: list[tuple[dt.date, Totals]]) -> Totals:
    total = Totals()
    for _, totals in days:
        _add(total, totals.spend, totals.prompt_tokens, totals.completion_tokens, totals.requests)
    return total


def daily_split(reader: SpendReader, by: str) -> list[tuple[dt.date, str, Totals]]:
    """(day, group name, totals) for every group, by day then spend."""
    field, is_tagged = SPLITS[by]
    found = reader.sums(("day", field), is_tagged=is_tagged)
    names = _names(by, {group for _, group in found})
    return _by_day((day, names[group], totals) for (day, group), totals in found.items())


def daily_split_top(reader: SpendReader, by: str, biggest: list[str],
                    days: list[tuple[dt.date, Totals]]) -> list[tuple[dt.date, str, Totals]]:
    """The split of the `biggest` groups (ids) only, the rest as "all others": for
    keys, teams and models the day's total less the biggest; tags overlap, so
    for them the others are summed (there are few tags)."""
    field, is_tagged = SPLITS[by]
    if is_tagged:
        found = reader.sums(("day", field), is_tagged=True)
    else:
        found = reader.sums(("day", field), only=(field, set(biggest)))
    names = _names(by, biggest)
    rows: dict[tuple[dt.date, str], Totals] = defaultdict(Totals)
    for (day, group), totals in found.items():
        _add(rows[(day, names.get(group, OTHER))], totals.spend, totals.prompt_tokens, totals.completion_tokens,
             totals.requests)
    if not is_tagged:
        for day, totals in days:
            shown = [t for (d, _), t in rows.items() if d == day]
            rest = Totals(spend=totals.spend - sum((t.spend for t in shown), Decimal(0)),
                          prompt_tokens=totals.prompt_tokens - sum(t.prompt_tokens for t in shown),
                          completion_tokens=totals.completion_tokens - sum(t.completion_tokens for t in shown),
                          requests=totals.requests - sum(t.requests for t in shown))
            if rest.requests or rest.spend:
                rows[(day, OTHER)] = rest
    return _by_day((day, label, totals) for (day, label), totals in rows.items())


def _by_day(rows) -> list[tuple[dt.date, str, Totals]]:
    return sorted(rows, key=lambda item: (item[0], -item[2].spend, item[1]))


def ranking(reader: SpendReader, by: str, *, limit: int | None = None) -> tuple[list[Row], list[str], int]:
    """The groups with the most spend, named; their ids; and how many groups there are in all."""
    field, is_tagged = SPLITS[by]
    found = reader.sums((field,), is_tagged=is_tagged)
    ranked = sorted(found.items(), key=lambda item: (-item[1].spend, item[0]))[:limit]
    groups = [group for (group,), _ in ranked]
    if by == "key":
        names = _key_names(groups)
        return [Row(label=names.get(key, (None, None))[0] or _unnamed_key(key),
                    detail=names.get(key, (None, None))[1] or "", totals=totals)
                for (key,), totals in ranked], groups, len(found)
    names = _names(by, groups)
    return [Row(label=names[group], totals=totals) for (group,), totals in ranked], groups, len(found)


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
