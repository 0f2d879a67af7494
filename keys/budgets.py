"""Budget periods: `reset_due_budgets` zeroes the spend of every key, team
and user whose `budget_reset_at` has passed and moves that time
on by its `budget_duration` (calendar rules in keys/durations.py).

Idempotent and safe on several workers at once: each row is claimed with
SELECT ... FOR UPDATE SKIP LOCKED and only while its reset time is due, so a
second run (or a second worker) finds nothing left to do.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone

from keys import cache, limits
from keys.durations import next_reset
from keys.models import Team, User, VirtualKey

# (model, scope kind in keys.limits, primary key field)
RESETTABLE = ((VirtualKey, "api_key", "token"), (Team, "team", "team_id"), (User, "user", "user_id"))


def reset_due_budgets(now: dt.datetime | None = None, timezone_name: str = "UTC") -> int:
    """Reset every budget period that has ended; return how many rows were reset."""
    now = now or timezone.now()
    total = 0
    for model, kind, pk_name in RESETTABLE:
        with transaction.atomic():
            due = list(model.objects.select_for_update(skip_locked=True)
                       .filter(budget_reset_at__lte=now).exclude(budget_duration=None))
            for row in due:
                row.spend = Decimal(0)
                row.budget_reset_at = next_reset(row.budget_duration, now, timezone_name)
                fields = ["spend", "budget_reset_at", "updated_at"]
                if hasattr(row, "soft_budget_crossed_at"):
                    row.soft_budget_crossed_at = None  # a new period may cross it again
                    fields.append("soft_budget_crossed_at")
                row.save(update_fields=fields)
            ids = [getattr(row, pk_name) for row in due]
            tokens = _affected_tokens(model, ids)
            transaction.on_commit(lambda kind=kind, ids=ids, tokens=tokens: _after_reset(kind, ids, tokens))
        total += len(due)
    return total


def _affected_tokens(model, ids: list[str]) -> list[str]:
    if not ids:
        return []
    if model is VirtualKey:
        return ids
    if model is Team:
        return list(VirtualKey.objects.filter(team_id__in=ids).values_list("token", flat=True))
    return list(VirtualKey.objects.filter(user_id__in=ids).values_list("token", flat=True))


def _after_reset(kind: str, ids: list[str], tokens: list[str]) -> None:
    for scope_id in ids:
        async_to_sync(limits.reset_spend)(kind, scope_id)
    cache.invalidate(tokens)
