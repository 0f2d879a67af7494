"""LiteLLM durations ("30s", "30m", "1h", "1d", "7d", "30d", "1mo", "2w") and
the calendar rules for when a budget period ends (spec section g), exact to the minute."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w|mo)\s*$")
SECONDS_PER_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "mo": 31 * 86400}
# Longer durations cannot be added to a date (year 9999) and mean nothing for a budget or a key.
MAX_SECONDS = 100 * 366 * 86400


class InvalidDuration(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: str  # s m h d w mo

    @classmethod
    def parse(cls, text: str) -> Duration:
        match = DURATION.match(str(text)[:64])
        if not match or int(match.group(1)) <= 0:
            raise InvalidDuration(f"{str(text)[:64]!r} is not a duration: use a whole number and s, m, h, d, w or "
                                  "mo (e.g. 30s, 30m, 1h, 1d, 7d, 30d, 1mo)")
        amount, unit = int(match.group(1)), match.group(2)
        if amount * SECONDS_PER_UNIT[unit] > MAX_SECONDS:
            raise InvalidDuration(f"{text!r} is too long: at most 100 years (36600d)")
        return cls(amount, unit)

    def after(self, moment: dt.datetime) -> dt.datetime:
        """`moment` plus the duration, without snapping (key expiry)."""
        if self.unit == "mo":
            return _add_months(moment, self.amount)
        return moment + dt.timedelta(seconds=self.amount * SECONDS_PER_UNIT[self.unit])


def _add_months(moment: dt.datetime, months: int) -> dt.datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30,
                           31, 31, 30, 31, 30, 31][month - 1])
    return moment.replace(year=year, month=month, day=day)


def next_reset(duration: str, now: dt.datetime, timezone: str = "UTC") -> dt.datetime:
    """When a budget with this `budget_duration` next resets, counted from `now`:
    1d -> next midnight, 7d/1w -> next Monday, 30d/1mo -> the 1st of next month,
    Nh -> N whole hours after the current hour began; shorter ones run from now."""
    period = Duration.parse(duration)
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period.unit in ("s", "m"):
        result = period.after(local)
    elif period.unit == "h":
        result = local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=period.amount)
    elif period.unit == "mo" or (period.unit == "d" and period.amount == 30):
        months = period.amount if period.unit == "mo" else 1
        result = _add_months(midnight.replace(day=1), months)
    elif period.unit == "w" or (period.unit == "d" and period.amount == 7):
        weeks = period.amount if period.unit == "w" else 1
        result = midnight + dt.timedelta(days=7 * weeks - midnight.weekday())
    else:
        result = midnight + dt.timedelta(days=period.amount)
    return result.astimezone(dt.timezone.utc)
