"""In-process shared state for the embedded mode (one process, no Redis)."""
from __future__ import annotations

import time
from collections import deque

from gateway.state.base import Increment
from gateway.state.capped import Book, CappedRecord, Caps, Saved, capped_delete_in_process, capped_set_in_process
from gateway.state.scripts import Admission, AdmissionResult, Release, admit_in_process, release_in_process

SWEEP_EVERY_SECONDS = 60.0


class MemoryState:
    backend = "memory"

    def __init__(self) -> None:
        self._values: dict[str, tuple[bytes | int, float | None]] = {}
        self._lists: dict[str, deque[bytes]] = {}
        self._books: dict[str, Book] = {}
        self._next_sweep = time.monotonic() + SWEEP_EVERY_SECONDS

    def _live(self, key: str) -> bytes | int | None:
        item = self._values.get(key)
        if item is None:
            return None
        value, expires_at = item
        if expires_at is not None and expires_at <= time.monotonic():
            del self._values[key]
            return None
        return value

    def _expiry(self, ttl_seconds: float | None) -> float | None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._sweep(now)
        return now + ttl_seconds if ttl_seconds else None

    def _sweep(self, now: float) -> None:
        """Drop expired entries nobody reads again (last minute's counters), so memory stays flat."""
        self._values = {key: item for key, item in self._values.items() if item[1] is None or item[1] > now}
        self._next_sweep = now + SWEEP_EVERY_SECONDS

    def forget_now(self, keys: list[str]) -> None:
        """Synchronous delete, for code outside the event loop (dict pops are atomic)."""
        for key in keys:
            self._values.pop(key, None)

    async def ping(self) -> bool:
        return True

    async def get(self, key: str) -> bytes | None:
        value = self._live(key)
        return str(value).encode() if isinstance(value, int) else value

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        self.set_now(key, value, ttl_seconds)

    def set_now(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        self._values[key] = (value, self._expiry(ttl_seconds))

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        current = self._live(key)
        if current is None:
            self._values[key] = (amount, self._expiry(ttl_seconds))
            return amount
        total = int(current) + amount
        self._values[key] = (total, self._values[key][1])
        return total

    async def delete(self, key: str) -> None:
        self._values.pop(key, None)

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def incr_many(self, increments: list[Increment]) -> list[int]:
        return self.incr_many_now(increments)

    def incr_many_now(self, increments: list[Increment]) -> list[int]:
        """Synchronous: the embedded mode's bookkeeping needs no task of its own."""
        totals = []
        for item in increments:
            current = self._live(item.key)
            total = item.amount if current is None else int(current) + item.amount
            keeps_expiry = current is not None and not item.refresh_ttl
            self._values[item.key] = (total, self._values[item.key][1] if keeps_expiry else
                                      self._expiry(item.ttl_seconds))
            totals.append(total)
        return totals

    # Synchronous counter access for the scripts' Python twins (gateway/state/scripts.py):
    # they run without awaiting, which is what makes them atomic in one event loop.
    def read_counter(self, key: str) -> int | None:
        value = self._live(key)
        return None if value is None else int(value)

    def write_counter(self, key: str, value: int, ttl_seconds: float | None = None) -> None:
        """Set a counter; without ttl_seconds an existing counter keeps its expiry."""
        if ttl_seconds is None and self._live(key) is not None:
            self._values[key] = (value, self._values[key][1])
        else:
            self._values[key] = (value, self._expiry(ttl_seconds))

    def remove_counter(self, key: str) -> None:
        self._values.pop(key, None)

    async def run_admission(self, admission: Admission) -> AdmissionResult:
        return admit_in_process(self, admission)

    async def run_release(self, release: Release) -> None:
        release_in_process(self, release)

    # The durable list's twin: it lasts as long as the process. Each method is
    # atomic because it never awaits.
    async def list_push(self, key: str, value: bytes) -> None:
        self.list_push_now(key, value)

    def list_push_now(self, key: str, value: bytes) -> None:
        """Synchronous append: the embedded mode's hot path needs no task of its own."""
        self._lists.setdefault(key, deque()).append(value)

    async def list_head(self, key: str, count: int) -> list[bytes]:
        items = self._lists.get(key)
        return [items[index] for index in range(min(count, len(items)))] if items else []

    async def list_length(self, key: str) -> int:
        return len(self._lists.get(key) or ())

    async def list_trim_head(self, key: str, count: int, lock_key: str, token: bytes) -> bool:
        if self._live(lock_key) != token:
            return False
        items = self._lists.get(key)
        for _ in range(min(count, len(items) if items else 0)):
            items.popleft()
        if not items:
            self._lists.pop(key, None)
        return True

    async def capped_set(self, record: CappedRecord, caps: Caps) -> Saved:
        return capped_set_in_process(self, self._books, record, caps, time.monotonic())

    async def capped_delete(self, book: str, record_prefix: str, record_id: str) -> None:
        capped_delete_in_process(self, self._books, book, record_prefix, record_id)

    async def lock_acquire(self, key: str, token: bytes, ttl_seconds: float) -> bool:
        if self._live(key) is not None:
            return False
        self.set_now(key, token, ttl_seconds)
        return True

    async def lock_release(self, key: str, token: bytes) -> None:
        if self._live(key) == token:
            self._values.pop(key, None)
