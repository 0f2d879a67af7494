"""Reads behind /spend/* and /global/spend/*, in LiteLLM's shapes.

Past days come from SpendDaily (spend.rollup); today, which the roll-up
only catches up with every ten minutes, is computed from the log itself, so
figures are current. Totals read the tag == "" rows, tag reports the others
(see spend.rollup for why that never counts a request twice).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from keys.models import Team, VirtualKey
from spend import rollup
from spend.models import SpendDaily, SpendLog

LAST_30_DAYS = 30  # LiteLLM's "Last30d..." views: CURRENT_DATE - 30 days up to now
UNASSIGNED_TEAM = "Unassigned Team"
REPORT_GROUPS = {"team": ("team_id", "teams"), "customer": ("end_user", "customers"),
                 "api_key": ("api_key", "api_keys")}


@dataclass(frozen=True, slots=True)
class Period:
    """Calendar days, both ends included, in the report's time zone; None = unbounded."""

    start: dt.date | None
    end: dt.date | None
    timezone: str
    today: dt.date

    @classmethod
    def of(cls, start: dt.date | None, end: dt.date | None, timezone_name: str,
           now: dt.datetime | None = None) -> Period:
        return cls(start, end, timezone_name, rollup.local_today(timezone_name, now))

    @classmethod
    def last_30_days(cls, timezone_name: str, now: dt.datetime | None = None) -> Period:
        today = rollup.local_today(timezone_name, now)
        return cls(today - dt.timedelta(days=LAST_30_DAYS), today, timezone_name, today)

    def includes(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


@dataclass(slots=True)
class Totals:
    spend: Decimal = Decimal(0)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


def spend_by(period: Period, dims: tuple[str, ...], *, is_tagged: bool = False,
             filters: dict | None = None) -> dict[tuple, Totals]:
    """Spend per combination of `dims` (SpendDaily field names) over the period.

    `is_tagged` False reads the per-request totals (tag == ""), True the per-tag
    rows. `filters` are exact matches on SpendDaily fields.
    """
    if not dims:
        raise ValueError("spend_by needs at least one dimension")
    filters = filters or {}
    result: dict[tuple, Totals] = defaultdict(Totals)
    rolled = SpendDaily.objects.filter(day__lt=period.today, **filters)
    if period.start:
        rolled = rolled.filter(day__gte=period.start)
    if period.end:
        rolled = rolled.filter(day__lte=period.end)
    rolled = rolled.exclude(tag="") if is_tagged else rolled.filter(tag="")
    sums = rolled.values(*dims).annotate(s_spend=Sum("spend"), s_prompt=Sum("prompt_tokens"),
                                         s_completion=Sum("completion_tokens"), s_requests=Sum("requests"))
    for row in sums.order_by():
        _add(result[tuple(row[d] for d in dims)], row["s_spend"], row["s_prompt"], row["s_completion"],
             row["s_requests"])
    if period.includes(period.today):
        for row in rollup.aggregate_day(period.today, period.timezone, include_tags=is_tagged):
            if (row.tag != "") == is_tagged and all(getattr(row, f) == v for f, v in filters.items()):
                _add(result[tuple(getattr(row, d) for d in dims)], row.spend, row.prompt_tokens,
                     row.completion_tokens, row.requests)
    return dict(result)


def _add(totals: Totals, spend, prompt, completion, requests) -> None:
    totals.spend += Decimal(spend or 0)
    totals.prompt_tokens += int(prompt or 0)
    totals.completion_tokens += int(completion or 0)
    totals.requests += int(requests or 0)


# /spend/logs

def spend_logs(period: Period, *, api_key: str | None = None, user_id: str | None = None,
               request_id: str | None = None, limit: int) -> list[dict]:
    """Log rows, newest first, as LiteLLM's LiteLLM_SpendLogs rows."""
    rows = SpendLog.objects.order_by("-start_time")
    if period.start:
        rows = rows.filter(start_time__gte=rollup.day_bounds(period.start, period.timezone)[0])
    if period.end:
        rows = rows.filter(start_time__lt=rollup.day_bounds(period.end, period.timezone)[1])
    for name, value in (("api_key", api_key), ("user_id", user_id), ("request_id", request_id)):
        if value is not None:
            rows = rows.filter(**{name: value})
    return [spend_log_as_dict(row) for row in rows[:limit]]


def spend_log_as_dict(row: SpendLog) -> dict:
    completion_start = row.start_time + dt.timedelta(milliseconds=row.ttft_ms) if row.ttft_ms is not None else None
    return {
        "request_id": row.request_id, "call_type": row.call_type, "api_key": row.api_key,
        "spend": float(row.spend), "total_tokens": row.total_tokens, "prompt_tokens": row.prompt_tokens,
        "completion_tokens": row.completion_tokens, "startTime": row.start_time.isoformat(),
        "endTime": row.end_time.isoformat(),
        "completionStartTime": completion_start.isoformat() if completion_start else None,
        "model": row.model, "model_id": row.model_id, "model_group": row.model_group,
        "custom_llm_provider": row.custom_llm_provider, "api_base": row.api_base, "user": row.user_id or "",
        "metadata": row.metadata, "cache_hit": str(row.cache_hit),  # LiteLLM stores "True"/"False"
        "request_tags": row.request_tags, "team_id": row.team_id, "end_user": row.end_user or "",
        "messages": row.messages if row.messages is not None else {},
        "response": row.response if row.response is not None else {}, "status": row.status,
    }


def daily_summary(period: Period, *, api_key: str | None = None, user_id: str | None = None) -> list[dict]:
    """LiteLLM's summarize=true: per day, the total plus spend per key (keyed by
    its hash, at the top level as LiteLLM puts it), per user and per model.
    Days after the last one with spend, up to end_date (at most today), are zeros."""
    filters = {name: value for name, value in (("api_key", api_key), ("user_id", user_id)) if value is not None}
    groups = spend_by(period, ("day", "api_key", "user_id", "model_group"), filters=filters)
    days: dict[dt.date, dict] = defaultdict(lambda: {"users": defaultdict(Decimal), "models": defaultdict(Decimal),
                                                     "keys": defaultdict(Decimal)})
    for (day, key, user, model), totals in groups.items():
        days[day]["keys"][key] += totals.spend
        days[day]["users"][user] += totals.spend
        days[day]["models"][model] += totals.spend
    answer = [{"startTime": day.isoformat(), "spend": float(sum(days[day]["keys"].values())),
               **_floats(days[day]["keys"]), "users": _floats(days[day]["users"]),
               "models": _floats(days[day]["models"])}
              for day in sorted(days)]
    if days and period.end:
        day = max(days) + dt.timedelta(days=1)
        while day <= min(period.end, period.today):
            answer.append({"startTime": day.isoformat(), "spend": 0.0, "users": {}, "models": {}})
            day += dt.timedelta(days=1)
    return answer


def _floats(amounts: dict[str, Decimal]) -> dict[str, float]:
    return {name: float(amount) for name, amount in amounts.items()}


# /global/spend*

def global_spend(period: Period) -> float:
    return float(sum((totals.spend for totals in spend_by(period, ("day",)).values()), Decimal(0)))


def spend_report(period: Period, group_by: str) -> list[dict]:
    """Per day, per team / customer / key: the total and its split by model and key."""
    field, plural = REPORT_GROUPS[group_by]
    groups = spend_by(period, ("day", field, "model_group", "api_key"))
    by_day: dict[dt.date, dict[str, dict[tuple, Totals]]] = defaultdict(lambda: defaultdict(dict))
    for (day, group, model, key), totals in groups.items():
        by_day[day][group][(model, key)] = totals
    label = _group_labeller(group_by, {group for day in by_day.values() for group in day})
    names = key_names({key for day in by_day.values() for split in day.values() for _, key in split})
    answer = []
    for day in sorted(by_day):
        entries = []
        for group, split in by_day[day].items():
            metadata = [{"model": model, "api_key": key, "key_alias": names.get(key, (None, None))[0],
                         "spend": float(totals.spend), "total_tokens": totals.total_tokens}
                        for (model, key), totals in sorted(split.items(), key=lambda item: -item[1].spend)]
            entries.append({**label(group), "total_spend": float(sum(t.spend for t in split.values())),
                            "metadata": metadata})
        entries.sort(key=lambda entry: entry["total_spend"], reverse=True)
        start = dt.datetime.combine(day, dt.time(), ZoneInfo(period.timezone))
        answer.append({"group_by_day": start.isoformat(), plural: entries})
    return answer


def _group_labeller(group_by: str, groups: set[str]):
    """How a report names its group: teams by alias (else id; no team = LiteLLM's
    "Unassigned Team"), customers by id (null when none), keys by hash with
    their alias and name beside it."""
    if group_by == "team":
        aliases = dict(Team.objects.filter(team_id__in=groups - {""}).values_list("team_id", "team_alias"))
        return lambda team_id: {"team_name": (aliases.get(team_id) or team_id) if team_id else UNASSIGNED_TEAM}
    if group_by == "customer":
        return lambda end_user: {"customer": end_user or None}
    names = key_names(groups)
    return lambda api_key: {"api_key": api_key, "key_alias": names.get(api_key, (None, None))[0],
                            "key_name": names.get(api_key, (None, None))[1]}


def key_names(tokens: set[str]) -> dict[str, tuple[str | None, str | None]]:
    """(key_alias, key_name) by key hash: the key's own, or for a deleted key
    an alias its logged requests carried."""
    tokens = tokens - {""}
    names = {token: (alias, name) for token, alias, name in
             VirtualKey.objects.filter(token__in=tokens).values_list("token", "key_alias", "key_name")}
    deleted = SpendLog.objects.filter(api_key__in=tokens - names.keys()).exclude(key_alias=None)
    for token, alias in deleted.order_by().values_list("api_key", "key_alias").distinct():
        names.setdefault(token, (alias, None))
    return names


def tag_spend(period: Period) -> list[dict]:
    groups = spend_by(period, ("tag",), is_tagged=True)
    answer = [{"individual_request_tag": tag, "log_count": totals.requests, "total_spend": float(totals.spend)}
              for (tag,), totals in groups.items()]
    return sorted(answer, key=lambda row: row["total_spend"], reverse=True)


def top_keys(period: Period, limit: int | None) -> list[dict]:
    groups = spend_by(period, ("api_key",))
    ranked = sorted(groups.items(), key=lambda item: item[1].spend, reverse=True)[:limit]
    keys = {k.token: k for k in VirtualKey.objects.filter(token__in=[key for (key,), _ in ranked])
            .only("token", "key_alias", "key_name")}
    return [{"api_key": key, "total_spend": float(totals.spend),
             "key_alias": keys[key].key_alias if key in keys else None,
             "key_name": keys[key].key_name if key in keys else None}
            for (key,), totals in ranked]


def top_models(period: Period, limit: int | None) -> list[dict]:
    groups = {key: totals for key, totals in spend_by(period, ("model_group",)).items() if key[0]}
    ranked = sorted(groups.items(), key=lambda item: item[1].spend, reverse=True)[:limit]
    return [{"model": model, "total_spend": float(totals.spend)} for (model,), totals in ranked]
