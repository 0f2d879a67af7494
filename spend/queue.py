"""Where a finished request's spend waits until the spend log has it.

Each finished request is one item, an orjson-encoded SpendEvent, kept in two
places until it is written:

1. this process's memory (spend/held.py), which spend/flusher.py writes to the
   database in batches and forgets only after the commit: Redis losing its
   data loses nothing;
2. with REDIS_URL, a copy appended to the Redis list `spend:queue`, so a
   process that dies without its shutdown (SIGKILL, out of memory, a lost
   host) loses nothing either: a flusher of any process writes the copies
   that are older than their owner would have taken (spend/flusher.py, the
   sweep), skipping the ids already written.

A row is lost only when its process dies without its shutdown and Redis loses
the copy before the sweep writes it. Writes are idempotent on request_id
(spend/writer.py), so every item is written once however many copies reach
the database.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import time
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

import orjson

from gateway.state import shared_state
from gateway.state.base import SharedState
from gateway.state.resilient import ResilientState
from gateway.types import SpendEvent
from spend.held import held_items

logger = logging.getLogger("spend.queue")


@dataclass(frozen=True, slots=True)
class QueueNames:
    """Where the copies live in the shared state; tests use names of their own."""

    items: str = "spend:queue"  # every process's copies, oldest first
    dead: str = "spend:dead"  # items that cannot be decoded, kept for a person to look at
    lock: str = "spend:flush-lock"  # one sweep of the copies at a time, cluster-wide


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
    hints, checks = _field_types(), _field_checks()
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
        if name != "spend" and not checks[name](value):
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


@functools.cache
def _field_checks() -> dict[str, Callable[[object], bool]]:
    """Per field, whether a decoded JSON value fits its annotation; built once,
    since every queued item is decoded (about 5x faster than walking the hints)."""
    return {name: _check_of(hint) for name, hint in _field_types().items()}


def _check_of(hint: object) -> Callable[[object], bool]:
    """For SpendEvent's annotations: str, int, float, bool, dict, tuple[str, ...], X | None, object."""
    if hint is object:
        return lambda value: True
    if hint is type(None):
        return lambda value: value is None
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [_check_of(arg) for arg in typing.get_args(hint)]
        return lambda value: any(check(value) for check in options)
    if origin is tuple:
        return lambda value: isinstance(value, tuple) and all(isinstance(item, str) for item in value)
    if hint is bool:
        return lambda value: isinstance(value, bool)
    if hint is int:
        return lambda value: isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return lambda value: isinstance(value, (int, float)) and not isinstance(value, bool)
    expected = origin or hint
    return lambda value: isinstance(value, expected)


# Past this many held items (the database has been unreachable for a while)
# a process keeps new items only in Redis, so memory stays bounded; the sweep
# writes them once the database is back. Without Redis there is no other copy:
# everything is held.
MAX_HELD_ITEMS = 200_000
_OVERFLOW_LOG_EVERY_SECONDS = 60.0
_overflow_logged_at = -_OVERFLOW_LOG_EVERY_SECONDS


def enqueue_soon(event: SpendEvent, *, names: QueueNames = DEFAULT_NAMES) -> None:
    """Hot path: hold the item in this process (an append) and, with Redis, push
    its copy in a background task, so the request never waits for the network.
    Raises only when the event cannot be encoded or there is no running event loop."""
    item = encode(event)
    state = shared_state()
    held = held_items()
    has_copy = state.backend == "redis" and not (isinstance(state, ResilientState) and state.is_degraded)
    if not has_copy or len(held) < MAX_HELD_ITEMS:
        held.add(item)
    else:
        _log_overflow(len(held))
    if not has_copy:
        return  # Redis is down: a copy would only land in this process's memory again
    task = asyncio.get_running_loop().create_task(state.list_push(names.items, item))
    _pushes.add(task)
    task.add_done_callback(functools.partial(_pushed, event.request_id))


async def back_up(item: bytes, *, names: QueueNames = DEFAULT_NAMES, state: SharedState | None = None) -> None:
    """Append a copy of `item` to the Redis list (awaits the push)."""
    await (state or shared_state()).list_push(names.items, item)


async def enqueue(event: SpendEvent, *, names: QueueNames = DEFAULT_NAMES, state: SharedState | None = None) -> None:
    """Hold the event and await its copy's push (tests; the hot path uses enqueue_soon)."""
    item = encode(event)
    held_items().add(item)
    await back_up(item, names=names, state=state)


def _log_overflow(count: int) -> None:
    global _overflow_logged_at
    now = time.monotonic()
    if now - _overflow_logged_at >= _OVERFLOW_LOG_EVERY_SECONDS:
        _overflow_logged_at = now
        logger.error("spend: %d rows held in memory wait for the database; new rows are kept only in Redis "
                     "until it is back", count)


_pushes: set[asyncio.Task] = set()


def _pushed(request_id: str, task: asyncio.Task) -> None:
    _pushes.discard(task)
    if task.cancelled():
        logger.warning("spend event %s: its copy in Redis was not made (push cancelled); the process holds it",
                       request_id)
    elif task.exception() is not None:
        logger.warning("spend event %s: its copy in Redis was not made (%r); the process holds it",
                       request_id, task.exception())


async def pushes_done(timeout: float | None = None) -> None:
    """Wait until this loop's background pushes have landed (shutdown, tests)."""
    loop = asyncio.get_running_loop()
    pending = [task for task in _pushes if task.get_loop() is loop]
    if pending:
        await asyncio.wait(pending, timeout=timeout)


def stores(state: SharedState) -> list[SharedState]:
    """Every list copies are in, as this process sees them: the shared state
    itself and, behind Redis, the memory that took pushes while Redis was down."""
    if isinstance(state, ResilientState):
        return [state, state.local_fallback]
    return [state]


def pending() -> int:
    """Items this process holds that are not known to be written."""
    return len(held_items())


async def copies_waiting(*, names: QueueNames = DEFAULT_NAMES, state: SharedState | None = None) -> int:
    """Copies in the lists, in every store this process can see (written or not)."""
    return sum([await store.list_length(names.items) for store in stores(state or shared_state())])


def recorded_at(item: bytes) -> float | None:
    """When the item's request ended (its end_time, epoch seconds); None when
    the item is not a JSON object with a number there."""
    try:
        payload = orjson.loads(item)
    except orjson.JSONDecodeError:
        return None
    end_time = payload.get("end_time") if isinstance(payload, dict) else None
    return float(end_time) if isinstance(end_time, (int, float)) and not isinstance(end_time, bool) else None
