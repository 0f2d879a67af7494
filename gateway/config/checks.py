"""Small checks for config values: each returns the value in its proper type
or raises Invalid naming the problem.

Values read from the environment (`os.environ/REDIS_PORT`) are always text, so
a number, a boolean or a list may arrive as a string: as LiteLLM does, "6379"
is read as 6379, "true" as True, and a single string where a list belongs as a
list of one.
"""
from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from keys.durations import Duration, InvalidDuration

Check = Callable[[Any], Any]

_WHOLE_NUMBER = re.compile(r"[+-]?\d+")
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


class Invalid(ValueError):
    """A value a check cannot accept; the message says why."""


def _number_from(value: Any) -> Any:
    """A number written as text becomes that number; anything else is left as it is."""
    if isinstance(value, str):
        text = value.strip()
        if _WHOLE_NUMBER.fullmatch(text):
            return int(text)
        try:
            return float(text)
        except ValueError:
            return value
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def integer(minimum: int | None = 0) -> Check:
    def check(value: Any) -> int:
        value = _number_from(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a whole number, got {value!r}")
        if minimum is not None and value < minimum:
            raise Invalid(f"must be at least {minimum}, got {value}")
        return value

    return check


def number(minimum: float = 0, exclusive: bool = False) -> Check:
    def check(value: Any) -> int | float:
        value = _number_from(value)
        if not _is_number(value):
            raise Invalid(f"must be a number, got {value!r}")
        if value < minimum or (exclusive and value == minimum):
            raise Invalid(f"must be {'greater than' if exclusive else 'at least'} {minimum}, got {value}")
        return value

    return check


def duration(value: Any) -> int | str:
    """Seconds as a whole number, or a LiteLLM duration such as "24h" or "30d"."""
    value = _number_from(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if value <= 0:
            raise Invalid(f"must be more than 0 seconds, got {value}")
        return value
    try:
        Duration.parse(value)
    except InvalidDuration as exc:
        raise Invalid(str(exc)) from None
    return value


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a string, got {value!r}")
    return value


def boolean(value: Any) -> bool:
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    if not isinstance(value, bool):
        raise Invalid(f"must be true or false, got {value!r}")
    return value


def mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise Invalid(f"must be a mapping, got {type(value).__name__}")
    return value


def sequence(value: Any) -> list:
    """A list; one string stands for a list of one (`callbacks: prometheus`)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise Invalid(f"must be a list, got {type(value).__name__}")
    return value


def string_list(value: Any) -> list[str]:
    value = sequence(value) if isinstance(value, (str, list)) else value
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Invalid(f"must be a list of strings, got {value!r}")
    return value


def fallback_list(value: Any) -> list[dict[str, list[str]]]:
    """LiteLLM's `[{"gpt-4o": ["claude", ...]}, ...]` shape; a single mapping,
    or a single group name as the target, is read as LiteLLM reads it."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise Invalid(f"must be a list of {{group: [fallback groups]}} mappings, got {type(value).__name__}")
    items = []
    for item in value:
        if not isinstance(item, dict) or not all(isinstance(group, str) for group in item):
            raise Invalid(f"each item must map a model group to a list of model groups, got {item!r}")
        try:
            items.append({group: string_list(targets) for group, targets in item.items()})
        except Invalid:
            raise Invalid(f"each item must map a model group to a list of model groups, got {item!r}") from None
    return items


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str:
        if value not in choices:
            raise Invalid(f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    return check


def version_string(value: Any) -> str:
    # YAML reads an unquoted 2024-10-21 as a date; that is what the user meant.
    if isinstance(value, datetime.date):
        return value.isoformat()
    return string(value)


def url(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be a URL string, got {value!r}")
    try:
        parts = urlsplit(value)
        parts.port  # raises for a port that is not a number in range
    except ValueError as exc:
        raise Invalid(f"{value!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"{value!r} must be an http:// or https:// URL with a host")
    return value


def anything(value: Any) -> Any:
    """For settings whose value the gateway does not read."""
    return value
