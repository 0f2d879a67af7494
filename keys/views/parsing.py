"""The management API's JSON parser: DRF's, bounded in depth and without NUL characters.

Deeply nested JSON would exhaust the decoder's recursion (a 500), and a
metadata object nested past orjson's limit (254 levels) could be stored but
not cached or audited: bodies nested deeper than MAX_DEPTH are a 400. So is a
string with a NUL character anywhere (a key or a value), which PostgreSQL
cannot store.
"""
from __future__ import annotations

from rest_framework.parsers import JSONParser

from gateway.errors import BadRequest

MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        check_json(data)
        return data


def check_json(value: object) -> None:
    """400 when lists and objects nest deeper than MAX_DEPTH, or a string holds a NUL (walked without recursion)."""
    pending: list[tuple[object, int, str]] = [(value, 1, "")]
    while pending:
        item, depth, path = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise BadRequest(f"{path or 'body'}: strings may not contain NUL (\\u0000) characters",
                                 param=path or None)
            continue
        if isinstance(item, dict):
            children = [(name, f"{path}.{name}".lstrip(".")) for name in item]
            children += [(child, f"{path}.{name}".lstrip(".")) for name, child in item.items()]
        elif isinstance(item, list):
            children = [(child, path) for child in item]
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        pending.extend((child, depth + 1, child_path) for child, child_path in children)


def _too_deep() -> BadRequest:
    return BadRequest(f"Invalid JSON payload: nested deeper than {MAX_DEPTH} levels")
