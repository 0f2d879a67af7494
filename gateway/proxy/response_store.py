"""Stored Responses API turns, per key, in the shared state (Redis when there
is one, else process memory), under byte caps.

A record holds what a later `previous_response_id` needs to rebuild the
conversation on any deployment: every input item the turn was answered from
(earlier turns included) and the response object itself. Records expire after
`general_settings.responses_ttl`. A record belongs to the key that created it;
to any other key it does not exist.

Redis also holds every rate-limit and budget counter, so records are capped
(gateway/state/capped.py): a record larger than RESPONSES_MAX_RECORD_BYTES is
not kept; a key past RESPONSES_MAX_BYTES_PER_KEY loses its own oldest turns;
past RESPONSES_MAX_TOTAL_BYTES (at most 64 MiB without Redis) nothing more is
kept until turns expire. A turn
not kept says so in its answer (`store: false`) and cannot be continued.
"""
from __future__ import annotations

from dataclasses import dataclass

import orjson
from django.conf import settings

from gateway.state import shared_state
from gateway.state.capped import CappedRecord, Caps, Saved
from gateway.types import KeyContext

KEY_PREFIX = "response:"
BOOK = "responses:"
# Without Redis the turns live in the serving process's own memory, beside
# everything else it holds: a smaller store, and no one key may take all of it.
MAX_TOTAL_BYTES_IN_MEMORY = 16 * 1024 * 1024
MAX_SHARE_OF_ONE_KEY_IN_MEMORY = 4


@dataclass(frozen=True, slots=True)
class StoredResponse:
    response: dict
    input_items: list


def owner_of(key: KeyContext) -> str:
    """Virtual keys by hash; the master key (or no auth) as one owner."""
    return key.token or "admin"


def caps(backend: str) -> Caps:
    total, per_key = settings.RESPONSES_MAX_TOTAL_BYTES, settings.RESPONSES_MAX_BYTES_PER_KEY
    if backend == "memory":
        total = min(total, MAX_TOTAL_BYTES_IN_MEMORY)
        per_key = min(per_key, MAX_TOTAL_BYTES_IN_MEMORY // MAX_SHARE_OF_ONE_KEY_IN_MEMORY)
    return Caps(min(settings.RESPONSES_MAX_RECORD_BYTES, per_key), per_key, total)


async def save(key: KeyContext, response: dict, input_items: list, ttl_seconds: float) -> Saved:
    """Keep the turn if the caps allow (see the module docstring)."""
    owner = owner_of(key)
    record = orjson.dumps({"owner": owner, "response": response, "input": input_items})
    state = shared_state()
    return await state.capped_set(
        CappedRecord(book=BOOK, record_prefix=KEY_PREFIX, record_id=str(response["id"]), owner=owner, value=record,
                     ttl_seconds=ttl_seconds), caps(state.backend))


async def load(key: KeyContext, response_id: str) -> StoredResponse | None:
    raw = await shared_state().get(KEY_PREFIX + response_id)
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
    await shared_state().capped_delete(BOOK, KEY_PREFIX, response_id)
    return True
