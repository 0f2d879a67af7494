"""Writes queued spend (spend/queue.py) to the database in batches, off the
request path, and keeps doing so through outages.

Two jobs, each cycle (every second, or general_settings.proxy_batch_write_at):

1. Flush: this process writes the items it holds (spend/held.py), oldest
   first, and forgets a batch only after its transaction committed. A failed
   write (the database down or slow) puts the batch back and the next cycle
   retries, backing off up to MAX_BACKOFF_SECONDS. Every process writes its
   own items; no lock is needed.
2. Sweep: the copies in Redis exist for processes that died without their
   shutdown. One flusher at a time (a lock in the shared state, SET NX PX)
   reads a batch from the head of the list and writes the prefix of copies
   older than `orphan_age()` (by the clock of the host that recorded them),
   by which time a live owner has written them: they are skipped, since
   spend/writer.py is idempotent on request_id (a live owner holds every item
   but those past queue.MAX_HELD_ITEMS). It trims exactly that prefix, only
   while the lock is still its own (checked atomically with the trim). A
   failure before the trim leaves them for the next sweep.

At shutdown (`shutdown()`, from the ASGI lifespan) the process writes what it
still holds before it exits.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid

from asgiref.sync import sync_to_async

from gateway.state import shared_state
from gateway.state.base import SharedState
from spend import queue, writer
from spend.held import held_items
from spend.queue import DEFAULT_NAMES, QueueNames

logger = logging.getLogger("spend.flusher")

DEFAULT_INTERVAL_SECONDS = 1.0  # general_settings.proxy_batch_write_at (LiteLLM's default is 10)
MAX_BATCH = 500
MAX_BACKOFF_SECONDS = 10.0  # a database back after an outage is written to within this
# Far longer than a batch takes; a sweep that outlives it only loses its trim.
LOCK_TTL_SECONDS = 60.0
# A copy younger than this may still be held by a live owner about to write it.
MIN_ORPHAN_AGE_SECONDS = 10.0


def orphan_age() -> float:
    """How old a copy must be before a sweep writes it: several of the owner's cycles."""
    return max(MIN_ORPHAN_AGE_SECONDS, 3 * _interval_seconds)


async def flush_held(max_batch: int = MAX_BATCH, *, names: QueueNames = DEFAULT_NAMES,
                     state: SharedState | None = None) -> int:
    """Write one batch of the items this process holds; return how many left it
    (written, skipped as written before, or moved to the dead list). Raises what
    the database raised; the batch is held again."""
    held = held_items()
    batch = held.take(max_batch)
    if not batch:
        return 0
    committed = False
    try:
        dead = await sync_to_async(writer.write_batch, thread_sensitive=False)(batch)
        committed = True
    finally:
        if committed:
            held.forget(batch)
        else:
            # Failed, or cancelled mid-write (shutdown): the thread may still commit,
            # and writing the batch again is harmless, so it is held again.
            held.put_back(batch)
    for item in dead:
        await (state or shared_state()).list_push(names.dead, item)
    return len(batch)


async def sweep_copies(max_batch: int = MAX_BATCH, *, names: QueueNames = DEFAULT_NAMES,
                       state: SharedState | None = None, older_than: float | None = None) -> int:
    """Write one batch of the copies in Redis that are older than `older_than`
    seconds (default `orphan_age()`), from each list this process can see, and
    trim them; return how many left the lists. Raises what the database raised."""
    cutoff = time.time() - (orphan_age() if older_than is None else older_than)
    done = 0
    for store in queue.stores(state or shared_state()):
        done += await _sweep_store(store, max_batch, names, cutoff)
    return done


async def _sweep_store(store: SharedState, max_batch: int, names: QueueNames, cutoff: float) -> int:
    token = uuid.uuid4().hex.encode()
    if not await store.lock_acquire(names.lock, token, LOCK_TTL_SECONDS):
        return 0
    try:
        items = await store.list_head(names.items, max_batch)
        aged = _aged_prefix(items, cutoff)
        if not aged:
            return 0
        dead = await sync_to_async(writer.write_batch, thread_sensitive=False)(items[:aged])
        for item in dead:
            await store.list_push(names.dead, item)
        if not await store.list_trim_head(names.items, aged, names.lock, token):
            logger.warning("spend sweep lost its lock before trimming; the next sweep skips its %d items", aged)
            return 0
        return aged
    finally:
        await store.lock_release(names.lock, token)


def _aged_prefix(items: list[bytes], cutoff: float) -> int:
    """How many items from the head were recorded before `cutoff`; an item
    without a time is aged (the writer moves it to the dead list)."""
    for index, item in enumerate(items):
        recorded_at = queue.recorded_at(item)
        if recorded_at is not None and recorded_at >= cutoff:
            return index
    return len(items)


async def flush_once(max_batch: int = MAX_BATCH, *, names: QueueNames = DEFAULT_NAMES,
                     state: SharedState | None = None) -> int:
    """One batch of held items, then one sweep of the copies; how many items left either."""
    return (await flush_held(max_batch, names=names, state=state)
            + await sweep_copies(max_batch, names=names, state=state))


# The process's background flusher: one per process (and event loop).
_task: asyncio.Task | None = None
_interval_seconds = DEFAULT_INTERVAL_SECONDS


def configure(interval_seconds: float | None) -> None:
    """Set the pause between flushes (general_settings.proxy_batch_write_at);
    a running flusher uses it from its next pause."""
    global _interval_seconds
    _interval_seconds = float(interval_seconds) if interval_seconds and interval_seconds > 0 else \
        DEFAULT_INTERVAL_SECONDS


def start(interval_seconds: float | None = None) -> None:
    """Start this process's flusher in the running event loop; idempotent."""
    global _task
    if interval_seconds is not None:
        configure(interval_seconds)
    loop = asyncio.get_running_loop()
    if _task is not None and not _task.done() and _task.get_loop() is loop:
        return
    _task = loop.create_task(_flush_forever(), name="spend-flusher")


async def stop() -> None:
    """Stop the background flusher (tests, shutdown)."""
    global _task
    task, _task = _task, None
    if task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _flush_forever() -> None:
    failures = 0
    while True:
        pause = _interval_seconds
        try:
            while await flush_held(MAX_BATCH) >= MAX_BATCH:
                pass  # a backlog: the next batch at once
            while await sweep_copies(MAX_BATCH) >= MAX_BATCH:
                pass
            failures = 0
        except Exception as exc:  # the database (or Redis) is down or slow: the items stay held
            failures += 1
            pause = min(MAX_BACKOFF_SECONDS, _interval_seconds * 2 ** failures)
            logger.warning("spend flush failed (%s: %s); %d items stay held, retrying in %.0f s",
                           type(exc).__name__, exc, queue.pending(), pause)
        await asyncio.sleep(pause)


async def drain(timeout: float, *, names: QueueNames = DEFAULT_NAMES, state: SharedState | None = None) -> bool:
    """Write held items until none is left or `timeout` seconds pass (shutdown,
    tests). True when this process holds nothing unwritten."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        flushed = 0
        try:
            # A database that does not answer (a lost connection) must not hold up
            # the process's exit past the deadline; a cancelled write is held again.
            flushed = await asyncio.wait_for(flush_held(names=names, state=state),
                                             max(0.0, deadline - loop.time()))
        except Exception as exc:  # TimeoutError included
            logger.warning("spend flush failed while draining (%s: %s)", type(exc).__name__, exc)
        if queue.pending() == 0:
            return True
        left = deadline - loop.time()
        if left <= 0:
            return False
        if not flushed:
            await asyncio.sleep(min(0.2, left))


async def shutdown(timeout: float) -> bool:
    """The process is stopping: stop the background flusher, let the copies'
    pushes land, and write everything held, for up to `timeout` seconds.
    True when nothing is left unwritten."""
    await stop()
    started = time.monotonic()
    await queue.pushes_done(min(2.0, timeout))
    drained = await drain(max(0.0, timeout - (time.monotonic() - started)))
    if drained:
        logger.info("spend: every held row is written")
    elif shared_state().backend == "redis":
        logger.error("spend: %d rows not written at shutdown (the database did not answer); their copies in "
                     "Redis are written by another gateway process, or this one when it starts again",
                     queue.pending())
    else:
        logger.error("spend: %d rows not written at shutdown (the database did not answer) are lost: without "
                     "Redis there is no other copy", queue.pending())
    return drained
