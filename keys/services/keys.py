"""Virtual keys: generate, update, regenerate, block, delete."""
from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.errors import BadRequest
from keys.access import models_outside
from keys.audit import audit_record
from keys.durations import Duration, next_reset
from keys.models import Budget, Team, VirtualKey
from keys.services.common import Actor, invalidate_after_commit, snapshot

# Fields a caller may set directly on a key (the API's names are the model's).
KEY_FIELDS = ("key_alias", "models", "aliases", "max_budget", "soft_budget", "budget_duration", "rpm_limit",
              "tpm_limit", "max_parallel_requests", "model_max_budget", "model_rpm_limit", "model_tpm_limit",
              "metadata", "tags", "permissions", "allowed_cache_controls", "allowed_routes", "key_type", "blocked",
              "user_id", "spend")


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def new_raw_key() -> str:
    return "sk-" + secrets.token_urlsafe(16)


def key_name(raw_key: str) -> str:
    return f"sk-...{raw_key[-4:]}"


def _check_within_team(key: VirtualKey) -> None:
    """A key never gets more models or budget than its team: run on every path
    that creates or changes a key (generate, update, regenerate), on the result."""
    team = key.team
    if team is None:
        return
    if team.models and key.models:
        outside = models_outside(team.models, key.models)
        if outside:
            raise BadRequest(f"models: {', '.join(outside)} not allowed for team {team.team_id}; the team may use "
                             f"{', '.join(team.models)}", param="models")
    if team.max_budget is not None and key.max_budget is not None and key.max_budget > team.max_budget:
        raise BadRequest(f"max_budget: {key.max_budget} is more than team {team.team_id}'s max_budget "
                         f"{team.max_budget}", param="max_budget")


def _apply_fields(key: VirtualKey, fields: dict) -> None:
    """Set what the caller sent (the team too), then check the key against its team."""
    if "team_id" in fields:
        key.team = _team(fields["team_id"])
    for name in KEY_FIELDS:
        if name in fields:
            setattr(key, name, fields[name])
    if "duration" in fields:
        duration = fields["duration"]
        key.expires = Duration.parse(duration).after(timezone.now()) if duration else None
    if "budget_duration" in fields:
        key.budget_reset_at = next_reset(key.budget_duration, timezone.now()) if key.budget_duration else None
    if "budget_id" in fields:
        budget_id = fields["budget_id"]
        key.budget = Budget.objects.filter(budget_id=budget_id).first() if budget_id else None
        if budget_id and key.budget is None:
            raise BadRequest(f"budget_id: no budget {budget_id!r}", param="budget_id")
    _check_within_team(key)


def _team(team_id: str | None) -> Team | None:
    if not team_id:
        return None
    team = Team.objects.filter(team_id=team_id).first()
    if team is None:
        raise BadRequest(f"team_id: no team {team_id!r}", param="team_id")
    return team


def key_generate(actor: Actor, fields: dict) -> tuple[VirtualKey, str]:
    """Create a key; returns it with the raw key, which is never stored."""
    raw_key = fields.get("key") or new_raw_key()
    if not raw_key.startswith("sk-"):
        raise BadRequest("key: a custom key must start with 'sk-'", param="key")
    with transaction.atomic():
        key = VirtualKey(token=hash_key(raw_key), key_name=key_name(raw_key), created_by=actor.name,
                         updated_by=actor.name)
        _apply_fields(key, fields)
        try:
            with transaction.atomic():
                key.save(force_insert=True)
        except IntegrityError:
            raise BadRequest("key: this key already exists", param="key") from None
        audit_record(actor=actor.name, action="key_generate", object_type="key", object_id=key.token,
                     before=None, after=snapshot(key))
        invalidate_after_commit([key.token])  # a recent "unknown key" answer may be cached
    return key, raw_key


def key_update(actor: Actor, key: VirtualKey, fields: dict) -> VirtualKey:
    with transaction.atomic():
        key = VirtualKey.objects.select_for_update().get(token=key.token)
        before = snapshot(key)
        _apply_fields(key, fields)
        key.updated_by = actor.name
        key.save()
        audit_record(actor=actor.name, action="key_update", object_type="key", object_id=key.token,
                     before=before, after=snapshot(key))
        invalidate_after_commit([key.token])
    return key


def key_set_blocked(actor: Actor, key: VirtualKey, is_blocked: bool) -> VirtualKey:
    with transaction.atomic():
        key = VirtualKey.objects.select_for_update().get(token=key.token)
        before = snapshot(key)
        key.blocked = is_blocked
        key.updated_by = actor.name
        key.save(update_fields=["blocked", "updated_by", "updated_at"])
        audit_record(actor=actor.name, action="key_block" if is_blocked else "key_unblock", object_type="key",
                     object_id=key.token, before=before, after=snapshot(key))
        invalidate_after_commit([key.token])
    return key


def key_delete(actor: Actor, keys: list[VirtualKey]) -> list[str]:
    with transaction.atomic():
        tokens = [key.token for key in keys]
        for key in keys:
            audit_record(actor=actor.name, action="key_delete", object_type="key", object_id=key.token,
                         before=snapshot(key), after=None)
        VirtualKey.objects.filter(token__in=tokens).delete()
        invalidate_after_commit(tokens)
    return tokens


def key_regenerate(actor: Actor, key: VirtualKey, new_key: str | None, fields: dict) -> tuple[VirtualKey, str]:
    """A new raw key for the same key row (spend, limits, history kept); the old one stops working."""
    raw_key = new_key or new_raw_key()
    if not raw_key.startswith("sk-"):
        raise BadRequest("new_key: a custom key must start with 'sk-'", param="new_key")
    with transaction.atomic():
        old = VirtualKey.objects.select_for_update().get(token=key.token)
        before = snapshot(old)
        old_token = old.token
        fresh = VirtualKey.objects.get(token=old_token)
        fresh.token, fresh.key_name = hash_key(raw_key), key_name(raw_key)
        _apply_fields(fresh, fields)
        fresh.updated_by = actor.name
        try:
            with transaction.atomic():
                fresh.save(force_insert=True)
        except IntegrityError:
            raise BadRequest("new_key: this key already exists", param="new_key") from None
        VirtualKey.objects.filter(token=old_token).delete()
        audit_record(actor=actor.name, action="key_regenerate", object_type="key", object_id=fresh.token,
                     before=before, after=snapshot(fresh))
        invalidate_after_commit([old_token, fresh.token])
    return fresh, raw_key
