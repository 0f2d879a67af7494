"""Small type checks for config values, each returning a problem or None."""
from __future__ import annotations

import datetime
from urllib.parse import urlsplit
from collections.abc import Callable
from typing import Any

from keys.durations import Duration, InvalidDuration

Check = Callable[[Any], str | None]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def integer(minimum: int | None = 0) -> Check:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"must be a whole number, got {value!r}"
        if minimum is not None and value < minimum:
            return f"must be at least {minimum}, got {value}"
        return None

    return check


def number(minimum: float = 0, exclusive: bool = False) -> Check:
    def check(value: Any) -> str | None:
        if not _is_number(value):
            return f"must be a number, got {value!r}"
        if value < minimum or (exclusive and value == minimum):
            return f"must be {'greater than' if exclusive else 'at least'} {minimum}, got {value}"
        return None

    return check


def duration(value: Any) -> str | None:
    """Seconds as a whole number, or a LiteLLM duration such as "24h" or "30d"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if value > 0 else f"must be more than 0 seconds, got {value}"
    try:
        Duration.parse(value)
    except InvalidDuration as exc:
        return str(exc)
    return None


def string(value: Any) -> str | None:
    return None if isinstance(value, str) else f"must be a string, got {value!r}"


def boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else f"must be true or false, got {value!r}"


def mapping(value: Any) -> str | None:
    return None if isinstance(value, dict) else f"must be a mapping, got {type(value).__name__}"


def sequence(value: Any) -> str | None:
    return None if isinstance(value, list) else f"must be a list, got {type(value).__name__}"


def string_list(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return f"must be a list of strings, got {value!r}"
    return None


def fallback_list(value: Any) -> str | None:
    """LiteLLM's `[{"gpt-4o": ["claude", ...]}, ...]` shape."""
    if not isinstance(value, list):
        return f"must be a list of {{group: [fallback groups]}} mappings, got {type(value).__name__}"
    for item in value:
        if not isinstance(item, dict) or not all(
            isinstance(k, str) and string_list(v) is None for k, v in item.items()
        ):
            return f"each item must map a model group to a list of model groups, got {item!r}"
    return None


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}; got {value!r}"

    return check


def version_string(value: Any) -> str | None:
    # YAML reads an unquoted 2024-10-21 as a date; that is what the user meant.
    return None if isinstance(value, (str, datetime.date)) else f"must be a string, got {value!r}"


def url(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"must be a URL string, got {value!r}"
    try:
        parts = urlsplit(value)
        parts.port  # raises for a port that is not a number in range
    except ValueError as exc:
        return f"{value!r} is not a valid URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{value!r} must be an http:// or https:// URL with a host"
    return None
