"""Spend events the spend tests write, and how they read what was written."""
from __future__ import annotations

import uuid
from decimal import Decimal

from django.db.models import Model, Sum

from gateway.types import SpendEvent
from keys.models import VirtualKey
from spend.models import SpendLog

REDIS_URL = "redis://127.0.0.1:6379/15"  # every name a test uses there is its own (conftest: `names`)


def spend_event(request_id: str | None = None, *, key: VirtualKey | None = None, **fields) -> SpendEvent:
    defaults = {"call_type": "chat/completions", "start_time": 1_780_000_000.25, "end_time": 1_780_000_001.5,
                "model_group": "gpt-4.1", "model": "gpt-4.1", "prompt_tokens": 10, "completion_tokens": 5,
                "spend": Decimal("0.00012345")}
    if key is not None:
        defaults.update(api_key=key.token, key_alias=key.key_alias, team_id=key.team_id, user_id=key.user_id)
    return SpendEvent(request_id=request_id or uuid.uuid4().hex, **{**defaults, **fields})


def total(model: type[Model], **lookup) -> Decimal:
    return model.objects.get(**lookup).spend


def logged(**lookup) -> Decimal:
    return SpendLog.objects.filter(**lookup).aggregate(total=Sum("spend"))["total"] or Decimal(0)
