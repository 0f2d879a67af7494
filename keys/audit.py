"""A hash-chained audit log of changes to keys, teams, users and budgets.

Each row's hash covers its content and the previous row's hash, so editing or
deleting a row breaks every hash after it. Rows never hold secrets.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import orjson
from django.db import connection, transaction
from django.utils import timezone

from keys.models import AuditEntry

GENESIS = "0" * 64
# Postgres advisory lock id: one writer extends the chain at a time.
CHAIN_LOCK = 7_211_731


def _entry_hash(previous_hash: str, fields: dict) -> str:
    body = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.sha256(previous_hash.encode() + body).hexdigest()


def _hashed_fields(entry: AuditEntry) -> dict:
    return {"created_at": entry.created_at.isoformat(), "actor": entry.actor, "action": entry.action,
            "object_type": entry.object_type, "object_id": entry.object_id, "before": entry.before,
            "after": entry.after}


def audit_record(*, actor: str, action: str, object_type: str, object_id: str, before: dict | None,
                 after: dict | None) -> AuditEntry:
    """Append one entry; call inside the transaction that makes the change."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        entry = AuditEntry(created_at=timezone.now(), actor=actor, action=action, object_type=object_type,
                           object_id=object_id, before=_jsonable(before), after=_jsonable(after),
                           previous_hash=last or GENESIS)
        entry.entry_hash = _entry_hash(entry.previous_hash, _hashed_fields(entry))
        entry.save()
        return entry


def _jsonable(value: dict | None) -> dict | None:
    return None if value is None else orjson.loads(orjson.dumps(value, default=str))


@dataclass(frozen=True, slots=True)
class ChainBreak:
    entry_id: int
    reason: str


def audit_verify() -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return (rows checked, the first break or None)."""
    previous = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator():
        if entry.previous_hash != previous:
            return checked, ChainBreak(entry.id, "does not follow the row before it (a row was removed)")
        if _entry_hash(entry.previous_hash, _hashed_fields(entry)) != entry.entry_hash:
            return checked, ChainBreak(entry.id, "content does not match its hash (the row was edited)")
        previous = entry.entry_hash
        checked += 1
    return checked, None
