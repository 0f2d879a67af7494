"""Running spend totals of keys, teams, users and end-users, written to the
database off the request path: the hot path adds to an in-process tally, a
background task writes the tally once a second in one transaction, and a
failed write is kept and retried.

An interim writer: the spend log (one row per request, durable queue,
exactly-once) replaces it, and until then a crash loses at most the last second.
"""
from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from asgiref.sync import sync_to_async
from django.db import close_old_connections, transaction
from django.db.models import F
from django.utils import timezone

from keys.models import EndUser, Team, User, VirtualKey

logger = logging.getLogger("spend.recorder")

FLUSH_EVERY_SECONDS = 1.0
MODELS = {"api_key": VirtualKey, "team": Team, "user": User, "end_user": EndUser}

_pending: dict[tuple[str, str], Decimal] = {}
_flusher: asyncio.Task | None = None


def add_spend(scopes: list[tuple[str, str]], cost: Decimal) -> None:
    """Count `cost` against each (kind, id); written within about a second."""
    global _flusher
    if cost <= 0:
        return
    for scope in scopes:
        if scope[0] in MODELS:
            _pending[scope] = _pending.get(scope, Decimal(0)) + cost
    if _flusher is None or _flusher.done():
        _flusher = asyncio.get_running_loop().create_task(_flush_forever())


async def _flush_forever() -> None:
    while _pending:
        await asyncio.sleep(FLUSH_EVERY_SECONDS)
        await flush()


async def flush() -> None:
    batch = dict(_pending)
    _pending.clear()
    if not batch:
        return
    try:
        await sync_to_async(_write)(batch)
    except Exception as exc:  # the database is slow or down: keep the tally and retry
        logger.warning("spend write failed (%s); retrying", type(exc).__name__)
        for scope, cost in batch.items():
            _pending[scope] = _pending.get(scope, Decimal(0)) + cost


def _write(batch: dict[tuple[str, str], Decimal]) -> None:
    close_old_connections()
    with transaction.atomic():
        for (kind, scope_id), cost in batch.items():
            model = MODELS[kind]
            updated = model.objects.filter(pk=scope_id).update(spend=F("spend") + cost)
            if not updated and model is EndUser:
                EndUser.objects.create(user_id=scope_id, spend=cost)
        tokens = [scope_id for kind, scope_id in batch if kind == "api_key"]
        _note_soft_budgets_crossed(tokens)


def _note_soft_budgets_crossed(tokens: list[str]) -> None:
    """Record, once per budget period, that a key's spend reached its soft budget (for alerting)."""
    crossed = VirtualKey.objects.filter(token__in=tokens, soft_budget__isnull=False, soft_budget_crossed_at=None,
                                        spend__gte=F("soft_budget"))
    for key in crossed.only("key_name", "key_alias", "spend", "soft_budget"):
        logger.warning("soft_budget_crossed: key %s (%s) spend %s >= soft_budget %s", key.key_name, key.key_alias,
                       key.spend, key.soft_budget)
    crossed.update(soft_budget_crossed_at=timezone.now())
