"""The durable buffer between the hot path and the spend log.

Each finished request is one item, an orjson-encoded SpendEvent, appended to
the list `spend:queue` in the shared state: Redis when REDIS_URL is set (so a
crashed gateway process loses nothing it already answered), process memory
otherwise. While Redis is down, ResilientState keeps items in this process's
memory instead, and the flusher drains that list as well (see `stores`).

Only spend/flusher.py reads and trims the list; its docstring says how each
item is written exactly once.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import types
import typing
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

import orjson

from gateway.state import shared_state
from gateway.state.base import SharedState
from gateway.state.memory import MemoryState
from gateway.state.resilient import ResilientState
from gateway.types import SpendEvent

logger = logging.getLogger("spend.queue")


@dataclass(frozen=True, slots=True)
class QueueNames:
    """Where the queue lives in the shared state; tests use names of their own."""

    items: str = "spend:queue"
    dead: str = "spend:dead"  # items that cannot be decoded, kept for a person to look at
    lock: str = "spend:flush-lock"


DEFAULT_NAMES = QueueNames()


class MalformedItem(ValueError):
    """A queued item that is not a SpendEvent this gateway can write."""


def encode(event: SpendEvent) -> bytes:
    """The event as JSON; Decimal as a string, so money round-trips exactly."""
    payload = {field.name: getattr(event, field.name) for field in fields(SpendEvent)}
    try:
        return orjson.dumps(payload, default=_jsonable, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError as exc:
        # Client-supplied metadata orjson cannot write (e.g. an int past 64 bits):
        # keep the spend, drop the decoration.
        logger.warning("spend event %s: metadata not encodable (%s); queued without it", event.request_id, exc)
        payload.update(metadata={}, messages=None, response=None)
        return orjson.dumps(payload, default=_jsonable, option=orjson.OPT_NON_STR_KEYS)


def _jsonable(value: object) -> object:
    if isinstance(value, (set, frozenset)):
        return list(value)
    return str(value)  # Decimal, and anything else a client put in metadata


def decode(item: bytes) -> SpendEvent:
    """The SpendEvent in a queued item; MalformedItem when it is not one.
    Fields this version does not know are ignored (a newer process wrote them)."""
    try:
        payload = orjson.loads(item)
    except orjson.JSONDecodeError as exc:
        raise MalformedItem(f"not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise MalformedItem("not a JSON object")
    hints = _field_types()
    values = {name: value for name, value in payload.items() if name in hints}
    try:
        values["spend"] = Decimal(values.get("spend", "0"))
    except (InvalidOperation, TypeError, ValueError):
        raise MalformedItem(f"spend is not a number: {values.get('spend')!r}") from None
    if not values["spend"].is_finite():
        raise MalformedItem("spend is not finite")
    if isinstance(values.get("tags"), list):
        values["tags"] = tuple(values["tags"])
    for name, value in values.items():
        if name != "spend" and not _conforms(value, hints[name]):
            raise MalformedItem(f"{name} is not {hints[name]}: {value!r}")
    try:
        event = SpendEvent(**values)
    except TypeError as exc:  # a required field is missing
        raise MalformedItem(str(exc)) from None
    if not event.request_id:
        raise MalformedItem("no request_id")
    return event


@functools.cache
def _field_types() -> dict[str, object]:
    return typing.get_type_hints(SpendEvent)


def _conforms(value: object, hint: object) -> bool:
    """Whether a decoded JSON value fits SpendEvent's annotation (str, int, float,
    bool, dict, tuple[str, ...], X | None, object)."""
    if hint is object:
        return True
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, arg) for arg in typing.get_args(hint))
    if origin is tuple:
        return isinstance(value, tuple) and all(isinstance(item, str) for item in value)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, origin or hint)


async def enqueue(event: SpendEvent, *, names: QueueNames = DEFAULT_NAMES, state: SharedState | None = None) -> None:
    """Append the event to the queue (awaits the push)."""
    await (state or shared_state()).list_push(names.items, encode(event))


_pushes: set[asyncio.Task] = set()


def enqueue_soon(event: SpendEvent, *, names: QueueNames = DEFAULT_NAMES) -> None:
    """Hot path: in process memory, append now; in Redis, push in a background
    task so the request never waits for the network. Raises only when the event
    cannot be encoded or there is no running event loop."""
    item = encode(event)
    state = shared_state()
    if isinstance(state, MemoryState):
        state.list_push_now(names.items, item)
        return
    task = asyncio.get_running_loop().create_task(state.list_push(names.items, item))
    _pushes.add(task)
    task.add_done_callback(functools.partial(_pushed, event.request_id))


def _pushed(request_id: str, task: asyncio.Task) -> None:
    _pushes.discard(task)
    if task.cancelled():
        logger.error("spend event %s lost: its push was cancelled (shutdown?)", request_id)
    elif task.exception() is not None:
        logger.error("spend event %s lost: push failed (%r)", request_id, task.exception())


async def pushes_done(timeout: float | None = None) -> None:
    """Wait until this loop's background pushes have landed (drain, shutdown)."""
    loop = asyncio.get_running_loop()
    pending = [task for task in _pushes if task.get_loop() is loop]
    if pending:
        await asyncio.wait(pending, timeout=timeout)


def stores(state: SharedState) -> list[SharedState]:
    """Every list the queue has in this process: the shared state itself and,
    behind Redis, the memory that took pushes while Redis was down."""
    if isinstance(state, ResilientState):
        return [state, state.local_fallback]
    return [state]


async def pending(*, names: QueueNames = DEFAULT_NAMES, state: SharedState | None = None) -> int:
    """How many items wait in the queue, in every store this process can see."""
    return sum([await store.list_length(names.items) for store in stores(state or shared_state())])
