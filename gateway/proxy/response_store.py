"""Stored Responses API turns, per key: in Redis when there is one, else in a
bounded table in process memory.

A record holds what a later `previous_response_id` needs to rebuild the
conversation on any deployment: every input item the turn was answered from
(earlier turns included) and the response object itself. Records expire after
`general_settings.responses_ttl`. A record belongs to the key that created it;
to any other key it does not exist.
"""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import orjson

from gateway.state import shared_state
from gateway.types import KeyContext

KEY_PREFIX = "response:"
# Without Redis every client turn would otherwise stay in the worker's memory
# for the whole TTL; the oldest go first beyond this many.
MAX_RESPONSES_IN_MEMORY = 2000


@dataclass(frozen=True, slots=True)
class StoredResponse:
    response: dict
    input_items: list


def owner_of(key: KeyContext) -> str:
    """Virtual keys by hash; the master key (or no auth) as one owner."""
    return key.token or "admin"


class MemoryTable:
    """Newest-last records with their expiry time, at most `capacity` of them."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.records: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def set(self, key: str, value: bytes, ttl_seconds: float) -> None:
        self.records[key] = (time.monotonic() + ttl_seconds, value)
        self.records.move_to_end(key)
        while len(self.records) > self.capacity:
            self.records.popitem(last=False)

    def get(self, key: str) -> bytes | None:
        found = self.records.get(key)
        if found is None:
            return None
        if found[0] <= time.monotonic():
            del self.records[key]
            return None
        return found[1]

    def delete(self, key: str) -> None:
        self.records.pop(key, None)


_memory = MemoryTable(MAX_RESPONSES_IN_MEMORY)


async def save(key: KeyContext, response: dict, input_items: list, ttl_seconds: float) -> None:
    record = orjson.dumps({"owner": owner_of(key), "response": response, "input": input_items})
    name = KEY_PREFIX + str(response["id"])
    state = shared_state()
    if state.backend == "memory":
        _memory.set(name, record, ttl_seconds)
    else:
        await state.set(name, record, ttl_seconds=ttl_seconds)


async def load(key: KeyContext, response_id: str) -> StoredResponse | None:
    name = KEY_PREFIX + response_id
    state = shared_state()
    raw = _memory.get(name) if state.backend == "memory" else await state.get(name)
    if raw is None:
        return None
    record = orjson.loads(raw)
    if record.get("owner") != owner_of(key):
        return None
    return StoredResponse(response=record["response"], input_items=record["input"])


async def delete(key: KeyContext, response_id: str) -> bool:
    """True when the key's own record existed and is gone now."""
    if await load(key, response_id) is None:
        return False
    name = KEY_PREFIX + response_id
    state = shared_state()
    if state.backend == "memory":
        _memory.delete(name)
    else:
        await state.delete(name)
    return True
