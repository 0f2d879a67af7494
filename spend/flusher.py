"""Writes the queued spend (spend/queue.py) to the database in batches.

Each item is written exactly once, and running totals move with it:

1. A lock in the shared state (SET NX PX; cluster-wide under Redis) lets one
   flusher at a time take a batch.
2. The batch is read from the head of the list without removing it.
3. One transaction inserts the SpendLog rows whose request_id is not in the
   table yet, and adds their spend to the key, team, user, team member and
   end-user totals. Ids already there are skipped: they were committed by an
   earlier flush that crashed (or lost Redis) before step 4. A concurrent
   writer of the same id (a lock that expired mid-flush) makes the insert hit
   the primary key and the whole transaction roll back.
4. After the commit, exactly that many items are trimmed from the head, and
   only while the lock is still ours (checked atomically with the trim).

A failure before step 4 leaves the items queued; the next flush re-reads them
and step 3 makes the repeat harmless. So the spend log and the totals it sums
are written together or not at all, and /key/info spend equals the sum of the
key's rows.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections import defaultdict
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.db import close_old_connections, transaction
from django.db.models import F, Model
from django.utils import timezone

from gateway.state import shared_state
from gateway.state.base import SharedState
from gateway.types import SpendEvent
from keys.models import EndUser, Team, TeamMember, User, VirtualKey
from spend import queue
from spend.models import SpendLog
from spend.queue import DEFAULT_NAMES, MalformedItem, QueueNames

logger = logging.getLogger("spend.flusher")

DEFAULT_INTERVAL_SECONDS = 1.0  # general_settings.proxy_batch_write_at (LiteLLM's default is 10)
MAX_BATCH = 500
MAX_BACKOFF_SECONDS = 30.0
# Far longer than a batch takes; a flusher that outlives it only loses its trim (step 4).
LOCK_TTL_SECONDS = 60.0

# Totals are kept to the cent's millionth (keys.models.MONEY); each row is
# rounded to the same places, so a total is exactly the sum of its rows.
SPEND_PLACES = VirtualKey._meta.get_field("spend").decimal_places
SPEND_QUANTUM = Decimal(1).scaleb(-SPEND_PLACES)
MAX_ROW_SPEND = Decimal(10) ** (SpendLog._meta.get_field("spend").max_digits
                                - SpendLog._meta.get_field("spend").decimal_places)
INT32 = 2 ** 31


async def flush_once(max_batch: int = MAX_BATCH, *, names: QueueNames = DEFAULT_NAMES,
                     state: SharedState | None = None) -> int:
    """Write one batch from each of the queue's lists (see the module docstring).

    Returns how many items left the queue: written, skipped as written before,
    or moved to the dead list; 0 when the queue is empty or another flusher
    holds the lock. Raises what the database raised; the batch stays queued.
    """
    done = 0
    for store in queue.stores(state or shared_state()):
        done += await _flush_batch(store, max_batch, names)
    return done


async def _flush_batch(store: SharedState, max_batch: int, names: QueueNames) -> int:
    token = uuid.uuid4().hex.encode()
    if not await store.lock_acquire(names.lock, token, LOCK_TTL_SECONDS):
        return 0
    try:
        items = await store.list_head(names.items, max_batch)
        if not items:
            return 0
        dead = await sync_to_async(_write_batch, thread_sensitive=False)(items)
        for item in dead:
            await store.list_push(names.dead, item)
        if not await store.list_trim_head(names.items, len(items), names.lock, token):
            logger.warning("spend flush lost its lock before trimming; the next flush skips its %d items",
                           len(items))
            return 0
        return len(items)
    finally:
        await store.lock_release(names.lock, token)


def _write_batch(items: list[bytes]) -> list[bytes]:
    """Runs in a worker thread of its own (not the shared sync thread: a slow
    database must not hold up other sync work). Returns the malformed items."""
    close_old_connections()
    try:
        rows, dead = _rows_of(items)
        if rows:
            with transaction.atomic():
                _insert_new(rows)
        return dead
    finally:
        close_old_connections()


def _rows_of(items: list[bytes]) -> tuple[list[SpendLog], list[bytes]]:
    rows: dict[str, SpendLog] = {}
    dead: list[bytes] = []
    for item in items:
        try:
            row = _row_of(queue.decode(item), has_nul=b"\\u0000" in item)
        except MalformedItem as exc:
            logger.error("spend item moved to the dead list: %s", exc)
            dead.append(item)
            continue
        rows.setdefault(row.request_id, row)  # the same request queued twice: once
    return list(rows.values()), dead


def _row_of(event: SpendEvent, has_nul: bool) -> SpendLog:
    """The event as a row the database accepts, or MalformedItem: a row the
    database would refuse would hold up the whole queue behind it."""
    if len(event.request_id) > SpendLog._meta.pk.max_length:
        raise MalformedItem(f"request_id longer than {SpendLog._meta.pk.max_length}: {event.request_id[:80]!r}")
    if abs(event.spend) >= MAX_ROW_SPEND:
        raise MalformedItem(f"spend out of range: {event.spend}")
    spend = event.spend.quantize(SPEND_QUANTUM)
    for name in ("prompt_tokens", "completion_tokens", "error_status"):
        value = getattr(event, name)
        if value is not None and not -INT32 <= value < INT32:
            raise MalformedItem(f"{name} out of range: {value}")
    if not -INT32 <= event.prompt_tokens + event.completion_tokens < INT32:
        raise MalformedItem("total_tokens out of range")
    json = _without_nul if has_nul else (lambda value: value)  # PostgreSQL refuses NUL in text and jsonb
    return SpendLog(
        request_id=_text("request_id", event.request_id),
        call_type=_text("call_type", event.call_type),
        start_time=_utc(event.start_time),
        end_time=_utc(event.end_time),
        api_key=_text("api_key", event.api_key),
        key_alias=_text("key_alias", event.key_alias),
        team_id=_text("team_id", event.team_id),
        user_id=_text("user_id", event.user_id),
        end_user=_text("end_user", event.end_user),
        model_group=_text("model_group", event.model_group),
        model=_text("model", event.model),
        model_id=_text("model_id", event.model_id),
        custom_llm_provider=_text("custom_llm_provider", event.provider),
        api_base=_text("api_base", event.api_base),
        prompt_tokens=event.prompt_tokens,
        completion_tokens=event.completion_tokens,
        total_tokens=event.prompt_tokens + event.completion_tokens,
        spend=spend,
        is_priced=event.is_priced,
        latency_ms=event.latency_ms,
        ttft_ms=event.ttft_ms,
        status=_text("status", event.status),
        error_class=_text("error_class", event.error_class),
        error_status=event.error_status,
        cache_hit=event.cache_hit,
        request_tags=json(list(event.tags)),
        metadata=json(event.metadata),
        messages=json(event.messages),
        response=json(event.response),
    )


def _text(name: str, value: str | None) -> str | None:
    """NUL removed, cut to the column's length."""
    if value is None:
        return None
    return value.replace("\x00", "")[:SpendLog._meta.get_field(name).max_length]


def _without_nul(value: object) -> object:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _utc(epoch_seconds: float) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(epoch_seconds, tz=dt.timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise MalformedItem(f"time out of range: {epoch_seconds}") from None


def _insert_new(rows: list[SpendLog]) -> None:
    """Inside the transaction: skip ids already written, insert the rest, add their spend up."""
    existing = set(SpendLog.objects.filter(request_id__in=[row.request_id for row in rows])
                   .values_list("request_id", flat=True))
    new = [row for row in rows if row.request_id not in existing]
    if existing:
        logger.info("spend flush: %d items already written, skipped", len(existing))
    if not new:
        return
    SpendLog.objects.bulk_create(new)
    _add_to_totals(new)


def _add_to_totals(rows: list[SpendLog]) -> None:
    keys: dict[str, Decimal] = defaultdict(Decimal)
    teams: dict[str, Decimal] = defaultdict(Decimal)
    users: dict[str, Decimal] = defaultdict(Decimal)
    members: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    end_users: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.end_user:
            end_users[row.end_user] += row.spend  # the row exists from the first request, spend or not
        if not row.spend:
            continue
        if row.api_key:
            keys[row.api_key] += row.spend
        if row.team_id:
            teams[row.team_id] += row.spend
        if row.user_id:
            users[row.user_id] += row.spend
        if row.team_id and row.user_id:
            members[(row.team_id, row.user_id)] += row.spend
    # Always the same order (model, then id), so two writers never wait on each other's row locks in a cycle.
    _add_by_pk(VirtualKey, keys)
    _add_by_pk(Team, teams)
    _add_by_pk(User, users)
    for (team_id, user_id), amount in sorted(members.items()):
        TeamMember.objects.filter(team_id=team_id, user_id=user_id).update(spend=F("spend") + amount)
    if end_users:
        EndUser.objects.bulk_create([EndUser(user_id=user_id) for user_id in sorted(end_users)],
                                    ignore_conflicts=True)
        _add_by_pk(EndUser, end_users)
    _note_soft_budgets_crossed(list(keys))


def _add_by_pk(model: type[Model], amounts: dict[str, Decimal]) -> None:
    for pk, amount in sorted(amounts.items()):
        if amount:
            model.objects.filter(pk=pk).update(spend=F("spend") + amount)


def _note_soft_budgets_crossed(tokens: list[str]) -> None:
    """Record, once per budget period, that a key's spend reached its soft budget (for alerting)."""
    if not tokens:
        return
    crossed = VirtualKey.objects.filter(token__in=tokens, soft_budget__isnull=False, soft_budget_crossed_at=None,
                                        spend__gte=F("soft_budget"))
    for key in crossed.only("key_name", "key_alias", "spend", "soft_budget"):
        logger.warning("soft_budget_crossed: key %s (%s) spend %s >= soft_budget %s", key.key_name, key.key_alias,
                       key.spend, key.soft_budget)
    crossed.update(soft_budget_crossed_at=timezone.now())


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
    """Stop the background flusher (tests; shutdown calls drain() first)."""
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
            while await flush_once(MAX_BATCH) >= MAX_BATCH:
                pass  # a backlog: the next batch at once
            failures = 0
        except Exception as exc:  # the database (or Redis) is down or slow: the items stay queued
            failures += 1
            pause = min(MAX_BACKOFF_SECONDS, _interval_seconds * 2 ** failures)
            logger.warning("spend flush failed (%s: %s); items stay queued, retrying in %.0f s",
                           type(exc).__name__, exc, pause)
        await asyncio.sleep(pause)


async def drain(timeout: float, *, names: QueueNames = DEFAULT_NAMES, state: SharedState | None = None) -> bool:
    """Flush until the queue is empty or `timeout` seconds pass (shutdown, tests).
    True when nothing is left queued in any store this process can see."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await queue.pushes_done(timeout)
    while True:
        flushed = 0
        try:
            flushed = await flush_once(names=names, state=state)
        except Exception as exc:
            logger.warning("spend flush failed while draining (%s: %s)", type(exc).__name__, exc)
        if await queue.pending(names=names, state=state) == 0:
            return True
        left = deadline - loop.time()
        if left <= 0:
            return False
        if not flushed:
            await asyncio.sleep(min(0.1, left))
