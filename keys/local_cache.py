"""A process-local cache with a size bound and per-entry expiry, for the hot
path's key and end-user caches: the least recently used entry goes first once
`max_entries` are held, so a stream of distinct lookups (bogus keys, made-up
end-user ids) cannot grow the process without limit."""
from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")
MISSING = object()  # what get() returns when nothing live is cached (None is a value)


class LocalCache(Generic[V]):
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[V, float]] = OrderedDict()

    def get(self, key: str, now: float) -> V | object:
        """The live value for `key`, else MISSING (an expired entry is dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        if entry[1] <= now:
            del self._entries[key]
            return MISSING
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: str, value: V, expires_at: float) -> None:
        self._entries[key] = (value, expires_at)
        self._entries.move_to_end(key)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def pop(self, key: str) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
