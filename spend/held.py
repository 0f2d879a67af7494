"""The process's own copy of every spend item it recorded and has not yet seen
committed: the copy the spend log is written from (spend/flusher.py).

Rows live here, not only in Redis, so Redis losing its data (a restart
without persistence, a failover to an empty replica, eviction) loses no row
(spend/queue.py keeps a second copy in Redis for a process that dies without
its shutdown). An item leaves only after the transaction that wrote it has
committed; a failed or cancelled write puts its batch back at the front.

Used from one event loop at a time; a batch is handed to the writer's thread
as a list of its own.
"""
from __future__ import annotations

from collections import deque


class HeldItems:
    def __init__(self) -> None:
        self._waiting: deque[bytes] = deque()
        self._taken = 0  # taken by a write that has not committed yet

    def add(self, item: bytes) -> None:
        self._waiting.append(item)

    def take(self, count: int) -> list[bytes]:
        """The oldest `count` items, for one write; they are not offered to another
        write until `put_back`, and kept in `len()` until `forget`."""
        batch = [self._waiting.popleft() for _ in range(min(count, len(self._waiting)))]
        self._taken += len(batch)
        return batch

    def forget(self, batch: list[bytes]) -> None:
        """The batch is committed."""
        self._taken -= len(batch)

    def put_back(self, batch: list[bytes]) -> None:
        """The batch's write failed or was cancelled: first in line again, in order."""
        self._waiting.extendleft(reversed(batch))
        self._taken -= len(batch)

    def __len__(self) -> int:
        """Items not known to be committed, including those being written now."""
        return len(self._waiting) + self._taken


_held: HeldItems | None = None


def held_items() -> HeldItems:
    """This process's HeldItems (one per process, shared by its event loops)."""
    global _held
    if _held is None:
        _held = HeldItems()
    return _held


def reset() -> None:
    """Forget every held item (tests)."""
    global _held
    _held = None
