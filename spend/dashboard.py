"""Reads behind the /ui spend dashboard.

Every figure sums what spend.reports.spend_by sums (behind /global/spend and
/spend/logs): past days rolled up (SpendDaily's tag == "" rows, tags: the
other rows; for everyone, their sums per key, team, model or tag in
SpendDailyBy), today from the log, so the dashboard and the API agree (the
tests check it to the cent). Today's log is aggregated once per page and
dimension, not once per table. Rankings sum only the groups that can reach
the top. Keys and teams are named once per table, only for the rows shown
(in chunks for a CSV). `user_id` (None: everyone) limits every read to that
user's requests.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db.models import F, Sum

from keys.models import Team
from spend import reports, rollup
from spend.models import SpendDaily, SpendDailyBy
from spend.reports import Period, Totals

# by= value: (SpendDaily field, is it read from the per-tag rows)
SPLITS = {"key": ("api_key", False), "team": ("team_id", False), "model": ("model_group", False),
          "tag": ("tag", True)}
TOTAL_FROM = "model"  # the day's total, for everyone, is the sum of its few model-group rows
NO_TEAM = "(no team)"
NO_KEY = "(master key)"
OTHER = "(all others)"
NAME_CHUNK = 1000  # ids per query when naming a whole table
SEED_DAYS = 5  # the ranking's likely leaders: the groups of its limit x 5 biggest days
COUNT_CAP = 1000  # a ranking counts past groups up to this many, then says "at least"
MONEY_STEP = rollup.MONEY_PLACES
SUMS = {"s_spend": Sum("spend"), "s_prompt": Sum("prompt_tokens"), "s_completion": Sum("completion_tokens"),
        "s_requests": Sum("requests")}


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a ranking: a named group and its totals."""

    label: str
    totals: Totals
    detail: str = ""  # the key's short name ("sk-...abcd") beside its alias


class SpendReader:
    """spend.reports.spend_by's reads (past days rolled up, today from the log)
    with today's log aggregated once per page (per dimension) rather than once per table.

    Everyone's spend (user_id None): past days from SpendDailyBy, one row per
    day and key (or team, model group, tag); today from the log, summed in
    one GROUP BY per dimension. A user's: SpendDaily filtered by user_id (its
    own index) and today's combinations of that user. Both hold the sums of
    the SpendDaily rows spend_by reads, so the figures match /global/spend.
    """

    def __init__(self, period: Period, *, user_id: str | None = None) -> None:
        self.period = period
        self.user_id = user_id
        self._today: list | None = None
        self._today_by: dict[str, dict[str, Totals]] = {}

    def today(self) -> list:
        """A user's combinations of today (SpendDaily rows, not saved)."""
        if self._today is None:
            rows = []
            if self.period.includes(self.period.today):
                rows = rollup.aggregate_day(self.period.today, self.period.timezone, include_tags=True)
            self._today = [row for row in rows if row.user_id == self.user_id]
        return self._today

    def today_by(self, by: str) -> dict[str, Totals]:
        """Today's totals per group of `by`, read from the log once per page."""
        if by not in self._today_by:
            found: dict[str, Totals] = defaultdict(Totals)
            if self.user_id is not None:
                is_tagged = SPLITS[by][1]
                for row in self.today():
                    if (row.tag != "") == is_tagged:
                        _add(found[_group_of(row, by)], row.spend, row.prompt_tokens, row.completion_tokens,
                             row.requests)
            elif self.period.includes(self.period.today):
                for value, spend, prompt, completion, requests, _ in rollup.aggregate_day_by(
                        self.period.today, self.period.timezone, by):
                    found[value] = Totals(spend=spend, prompt_tokens=prompt, completion_tokens=completion,
                                          requests=requests)
            self._today_by[by] = dict(found)
        return self._today_by[by]

    def sums(self, by: str | None, *, per_day: bool = False, only: set[str] | None = None) -> dict[tuple, Totals]:
        """Totals per (day if per_day, group of `by` if given); by None counts every request once.
        `only`: those groups alone."""
        result: dict[tuple, Totals] = defaultdict(Totals)
        dims = (("day",) if per_day else ()) + (("group",) if by else ())
        past = self._past(by)
        if only is not None:
            past = past.filter(group__in=only)
        for row in past.values(*dims).annotate(**SUMS).order_by():
            _add(result[tuple(row[d] for d in dims)], row["s_spend"], row["s_prompt"], row["s_completion"],
                 row["s_requests"])
        for group, totals in self.today_by(by or TOTAL_FROM).items():
            if only is None or group in only:
                key = ((self.period.today,) if per_day else ()) + ((group,) if by else ())
                _add(result[key], totals.spend, totals.prompt_tokens, totals.completion_tokens, totals.requests)
        return dict(result)

    def top(self, by: str, limit: int) -> tuple[list[tuple[str, Totals]], int, bool]:
        """The `limit` groups with the most spend (ties by id); how many groups there are, and
        whether that count stopped at COUNT_CAP (then there are at least that many).

        Exact without summing every group: a group's total is the sum of at
        most `parts` numbers (one per past day, one for today), so a total of
        at least T has one of them at least T / parts. T is the limit-th
        biggest total among a few likely leaders (the biggest single days);
        only groups with such a day (an index range on spend) are summed.
        """
        today = self.today_by(by)
        past = self._past(by)
        # A user's rows are few and several per day and group (the bound needs one): sum them all.
        found = self._candidates(by, limit, past, today) if self.user_id is None else None
        if found is None:
            found = self._totals_of(by, None)
        ranked = sorted(found.items(), key=lambda item: (-item[1].spend, item[0]))[:limit]
        in_past = list(past.order_by("group").values_list("group", flat=True).distinct()[:COUNT_CAP + 1])
        return ranked, len(set(in_past) | set(today)), len(in_past) > COUNT_CAP

    def _candidates(self, by: str, limit: int, past, today: dict[str, Totals]) -> dict[str, Totals] | None:
        """Totals of every group that may be in the top `limit` (and maybe a few more);
        None when there are too few likely leaders to bound the rest."""
        seeds = set(past.order_by("-spend").values_list("group", flat=True)[:limit * SEED_DAYS])
        seeds |= set(sorted(today, key=lambda group: -today[group].spend)[:limit])
        leaders = self._totals_of(by, seeds)
        if len(leaders) < limit:
            return None
        threshold = sorted((totals.spend for totals in leaders.values()), reverse=True)[limit - 1]
        floor = (threshold / self._parts()).quantize(MONEY_STEP, rounding=ROUND_FLOOR)
        candidates = set(past.filter(spend__gte=floor).values_list("group", flat=True).distinct())
        candidates |= {group for group, totals in today.items() if totals.spend >= floor}
        return self._totals_of(by, candidates)

    def _totals_of(self, by: str, groups: set[str] | None) -> dict[str, Totals]:
        return {group: totals for (group,), totals in self.sums(by, only=groups).items()}

    def _parts(self) -> int:
        """How many day figures a group's total over the period adds up."""
        period = self.period
        first = period.start or self._past(None).order_by("day").values_list("day", flat=True).first()
        last = min(period.end or period.today, period.today - dt.timedelta(days=1))
        past_days = (last - first).days + 1 if first and last >= first else 0
        return past_days + 1

    def _past(self, by: str | None):
        """The rolled-up rows of the period's past days, each with its group as `group`."""
        period = self.period
        if self.user_id is None:
            rows = SpendDailyBy.objects.filter(dimension=by or TOTAL_FROM).annotate(group=F("value"))
        else:
            field, is_tagged = SPLITS[by] if by else ("api_key", False)
            rows = SpendDaily.objects.filter(user_id=self.user_id).annotate(group=F(field))
            rows = rows.exclude(tag="") if is_tagged else rows.filter(tag="")
        rows = rows.filter(day__lt=period.today)
        if period.start:
            rows = rows.filter(day__gte=period.start)
        if period.end:
            rows = rows.filter(day__lte=period.end)
        return rows


def _group_of(row: SpendDaily, by: str) -> str:
    return getattr(row, SPLITS[by][0])


def _add(totals: Totals, spend, prompt, completion, requests) -> None:
    totals.spend += Decimal(spend or 0)
    totals.prompt_tokens += int(prompt or 0)
    totals.completion_tokens += int(completion or 0)
    totals.requests += int(requests or 0)


def daily_totals(reader: SpendReader) -> list[tuple[dt.date, Totals]]:
    """Per day with requests, oldest first (every request once, tagged or not)."""
    return sorted((day, totals) for (day,), totals in reader.sums(None, per_day=True).items())


def grand_total(days: list[tuple[dt.date, Totals]]) -> Totals:
    total = Totals()
    for _, totals in days:
        _add(total, totals.spend, totals.prompt_tokens, totals.completion_tokens, totals.requests)
    return total


def daily_split(reader: SpendReader, by: str) -> list[tuple[dt.date, str, Totals]]:
    """(day, group name, totals) for every group, by day then spend."""
    found = reader.sums(by, per_day=True)
    names = _names(by, {group for _, group in found})
    return _by_day((day, names[group], totals) for (day, group), totals in found.items())


def daily_split_top(reader: SpendReader, by: str, biggest: list[str],
                    days: list[tuple[dt.date, Totals]]) -> list[tuple[dt.date, str, Totals]]:
    """The split of the `biggest` groups (ids) only, the rest as "all others": for
    keys, teams and models the day's total less the biggest; tags overlap, so
    for them the others are summed (there are few tags)."""
    _, is_tagged = SPLITS[by]
    found = reader.sums(by, per_day=True, only=None if is_tagged else set(biggest))
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


def ranking(reader: SpendReader, by: str, *,
            limit: int | None = None) -> tuple[list[Row], list[str], int, bool]:
    """The groups with the most spend, named; their ids; how many groups there are in all
    and whether that is a lower bound (counting stopped at COUNT_CAP)."""
    if limit is None:
        found = reader.sums(by)
        ranked = sorted(((group, totals) for (group,), totals in found.items()),
                        key=lambda item: (-item[1].spend, item[0]))
        count, is_capped = len(found), False
    else:
        ranked, count, is_capped = reader.top(by, limit)
    groups = [group for group, _ in ranked]
    if by == "key":
        names = _key_names(groups)
        return [Row(label=names.get(key, (None, None))[0] or _unnamed_key(key),
                    detail=names.get(key, (None, None))[1] or "", totals=totals)
                for key, totals in ranked], groups, count, is_capped
    names = _names(by, groups)
    return [Row(label=names[group], totals=totals) for group, totals in ranked], groups, count, is_capped


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
