"""Shared state (counters, cooldowns, cached keys): Redis when REDIS_URL is set,
process memory otherwise. Everything else reaches Redis only through this."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.state.capped import CappedRecord, Caps, Saved
from gateway.state.scripts import Admission, AdmissionResult, Release


@dataclass(frozen=True, slots=True)
class Increment:
    """Add `amount` to a counter; `ttl_seconds` applies when the counter is
    created, or on every increment with `refresh_ttl` (a gauge such as
    requests in flight, which must not expire while it is in use)."""

    key: str
    amount: int = 1
    ttl_seconds: float | None = None
    refresh_ttl: bool = False


class SharedState(Protocol):
    backend: str  # "redis" | "memory"

    async def ping(self) -> bool:
        """True when the store answers; never raises."""
        ...

    async def get(self, key: str) -> bytes | None:
        ...

    async def set(self, key: str, value: bytes, ttl_seconds: float | None = None) -> None:
        ...

    async def incr(self, key: str, amount: int = 1, ttl_seconds: float | None = None) -> int:
        """Add to a counter; the TTL is set when the counter is created."""
        ...

    async def delete(self, key: str) -> None:
        ...

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        """Read several keys in one round trip."""
        ...

    async def incr_many(self, increments: list[Increment]) -> list[int]:
        """Apply several increments in one round trip."""
        ...

    async def run_admission(self, admission: Admission) -> AdmissionResult:
        """Check every scope's limits and budget and, only if all pass, count the
        request against all of them: atomic, one round trip (gateway/state/scripts.py)."""
        ...

    async def run_release(self, release: Release) -> None:
        """Give back what run_admission took and record usage: atomic, one round trip."""
        ...

    # A durable list (spend/queue.py): producers append at the tail; one consumer at
    # a time, holding a lock, reads from the head and trims what it has processed.

    async def list_push(self, key: str, value: bytes) -> None:
        """Append one item at the tail."""
        ...

    async def list_head(self, key: str, count: int) -> list[bytes]:
        """Up to `count` items from the head, oldest first, without removing them."""
        ...

    async def list_length(self, key: str) -> int:
        ...

    async def list_trim_head(self, key: str, count: int, lock_key: str, token: bytes) -> bool:
        """Remove the first `count` items, only while `token` still holds `lock_key`
        (checked and trimmed atomically). False, and nothing removed, otherwise:
        a holder whose lock expired must not trim items another holder now owns."""
        ...

    async def capped_set(self, record: CappedRecord, caps: Caps) -> Saved:
        """Keep a record (readable with get) under per-record, per-owner and total byte
        caps, evicting the owner's own oldest records to fit: atomic, one round trip
        (gateway/state/capped.py)."""
        ...

    async def capped_delete(self, book: str, record_prefix: str, record_id: str) -> None:
        """Remove a record kept with capped_set, and its bytes from the caps."""
        ...

    async def lock_acquire(self, key: str, token: bytes, ttl_seconds: float) -> bool:
        """Take the lock if nobody holds it (SET NX PX); it expires after ttl_seconds."""
        ...

    async def lock_release(self, key: str, token: bytes) -> None:
        """Give the lock back, only if `token` still holds it."""
        ...
