"""Writes a batch of queued spend items to the database, exactly once.

One transaction inserts the SpendLog rows whose request_id is not in the table
yet, and adds their spend to the key, team, user, team member and end-user
totals. Ids already there are skipped, so writing the same item again (its
owner and a sweep of the Redis copies, a retry after a crash between the
commit and forgetting the item) changes nothing. Two writers inserting the
same id at once: the later one waits on the first's row, fails on the primary
key when the first commits, rolls back and retries, and then skips it. So the
spend log and the totals it sums are written together or not at all, and a
key's spend equals the sum of its rows.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from decimal import Decimal

import orjson
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F, Model
from django.utils import timezone

from gateway.types import SpendEvent
from keys.models import EndUser, Team, TeamMember, User, VirtualKey
from spend import queue
from spend.models import SpendLog
from spend.queue import MalformedItem

logger = logging.getLogger("spend.writer")

# Totals are kept to the cent's millionth (keys.models.MONEY); each row is
# rounded to the same places, so a total is exactly the sum of its rows.
SPEND_PLACES = VirtualKey._meta.get_field("spend").decimal_places
SPEND_QUANTUM = Decimal(1).scaleb(-SPEND_PLACES)
MAX_ROW_SPEND = Decimal(10) ** (SpendLog._meta.get_field("spend").max_digits
                                - SpendLog._meta.get_field("spend").decimal_places)
INT32 = 2 ** 31


def write_batch(items: list[bytes]) -> list[bytes]:
    """Write `items` (encoded SpendEvents) and add their spend to the totals, in
    one transaction; ids already in the log are skipped. Returns the items that
    are not events this gateway can write (for the dead list). Raises what the
    database raised: nothing of the batch is written then.

    Synchronous: run it in a worker thread of its own (not the shared sync
    thread: a slow database must not hold up other sync work).
    """
    close_old_connections()
    try:
        rows, dead = _rows_of(_not_yet_written(items))
        if rows:
            try:
                _insert_new_atomically(rows)
            except IntegrityError:
                # Another writer (this process's own flush and a sweep of the Redis
                # copies, or two sweeps) committed some of these ids while we waited
                # on them: our transaction rolled back, and now sees their rows.
                logger.info("spend write: another writer committed some of these %d request ids first; "
                            "writing the rest", len(rows))
                _insert_new_atomically(rows)
        return dead
    finally:
        close_old_connections()


def _insert_new_atomically(rows: list[SpendLog]) -> None:
    with transaction.atomic():
        _insert_new(rows)


def _not_yet_written(items: list[bytes]) -> list[bytes]:
    """The items whose request_id is not in the log yet: one query, and no full
    decode of the rest (a sweep finds nearly every copy written by its owner).
    The transaction checks again; this only saves work."""
    ids: list[str | None] = []
    for item in items:
        try:
            payload = orjson.loads(item)
        except orjson.JSONDecodeError:
            payload = None
        request_id = payload.get("request_id") if isinstance(payload, dict) else None
        ids.append(request_id if isinstance(request_id, str) else None)
    written = set(SpendLog.objects.filter(request_id__in={id_ for id_ in ids if id_})
                  .values_list("request_id", flat=True))
    return [item for item, request_id in zip(items, ids) if request_id not in written]


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
    # In request_id order, so two writers inserting some of the same ids wait on
    # each other in one order (the later fails on the primary key), never in a cycle.
    new = sorted((row for row in rows if row.request_id not in existing), key=lambda row: row.request_id)
    if existing:
        # Usual for a sweep of the Redis copies: their owner wrote them first.
        logger.debug("spend write: %d items already written, skipped", len(existing))
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
