"""Internal users: create (with their first key), update, delete.

A user's limits and budget are part of the cached context of every key with
their user_id, so a change invalidates all those key tokens once it commits.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.errors import Conflict, NotFound
from keys.audit import audit_record
from keys.durations import next_reset
from keys.models import Team, TeamMember, User, VirtualKey, new_id
from keys.services import keys as key_services
from keys.services.common import Actor, invalidate_after_commit, snapshot

# Fields a caller may set directly on a user (the API's names are the model's).
USER_FIELDS = ("user_email", "user_alias", "user_role", "models", "max_budget", "soft_budget", "spend",
               "budget_duration", "tpm_limit", "rpm_limit", "max_parallel_requests", "metadata")



def user_tokens(user_ids: list[str]) -> list[str]:
    return list(VirtualKey.objects.filter(user_id__in=user_ids).values_list("token", flat=True))


def _apply_fields(user: User, fields: dict) -> None:
    for name in USER_FIELDS:
        if name in fields:
            setattr(user, name, fields[name])
    if "budget_duration" in fields:
        user.budget_reset_at = next_reset(user.budget_duration, timezone.now()) if user.budget_duration else None


def _check_email_free(email: str | None, user_id: str) -> None:
    if email and User.objects.filter(user_email__iexact=email).exclude(user_id=user_id).exists():
        raise Conflict(f"User with email {email} already exists", param="user_email")


def user_create(actor: Actor, fields: dict) -> tuple[User, VirtualKey | None, str | None]:
    """Create a user, make them a member (role user) of `teams`, and unless
    auto_create_key is false generate their first key; returns the raw key too."""
    user_id = fields.get("user_id") or new_id()
    with transaction.atomic():
        _check_email_free(fields.get("user_email"), user_id)
        teams = []
        for team_id in fields.get("teams") or []:
            team = Team.objects.select_for_update().filter(team_id=team_id).first()
            if team is None:
                raise NotFound(f"Team not found, passed team_id={team_id}", param="teams")
            teams.append(team)
        user = User(user_id=user_id, created_by=actor.name)
        _apply_fields(user, fields)
        try:
            with transaction.atomic():
                user.save(force_insert=True)
        except IntegrityError:
            raise Conflict(f"User with id {user_id} already exists", param="user_id") from None
        audit_record(actor=actor.name, action="user_create", object_type="user", object_id=user.user_id,
                     before=None, after=snapshot(user))
        for team in teams:
            membership = TeamMember.objects.create(team=team, user=user, role="user")
            audit_record(actor=actor.name, action="team_member_add", object_type="team", object_id=team.team_id,
                         before=None, after=snapshot(membership))
        # Keys may name a user_id before the user exists; their cached context has no user limits yet.
        invalidate_after_commit(user_tokens([user.user_id]))
        key, raw_key = None, None
        if fields.get("auto_create_key", True):
            key_fields = {"user_id": user.user_id, "models": list(user.models or [])}
            for name in ("duration", "key_alias"):
                if fields.get(name) is not None:
                    key_fields[name] = fields[name]
            key, raw_key = key_services.key_generate(actor, key_fields)
    return user, key, raw_key


def user_update(actor: Actor, user_id: str, fields: dict) -> User:
    with transaction.atomic():
        user = User.objects.select_for_update().filter(user_id=user_id).first()
        if user is None:
            raise NotFound(f"User not found, passed user_id={user_id}", param="user_id")
        if "user_email" in fields:
            _check_email_free(fields["user_email"], user.user_id)
        before = snapshot(user)
        _apply_fields(user, fields)
        user.save()
        audit_record(actor=actor.name, action="user_update", object_type="user", object_id=user.user_id,
                     before=before, after=snapshot(user))
        invalidate_after_commit(user_tokens([user.user_id]))
    return user


def user_delete(actor: Actor, user_ids: list[str]) -> list[str]:
    """Delete the users, their keys (as LiteLLM does; each audited and invalidated) and their memberships."""
    with transaction.atomic():
        users = list(User.objects.select_for_update().filter(user_id__in=user_ids))
        missing = sorted(set(user_ids) - {user.user_id for user in users})
        if missing:
            raise NotFound(f"User not found, passed user_ids={', '.join(missing)}", param="user_ids")
        key_services.key_delete(actor, list(VirtualKey.objects.filter(user_id__in=user_ids)))
        for user in users:
            teams = list(user.memberships.values_list("team_id", flat=True))
            audit_record(actor=actor.name, action="user_delete", object_type="user", object_id=user.user_id,
                         before={**snapshot(user), "teams": teams}, after=None)
        User.objects.filter(user_id__in=user_ids).delete()
    return user_ids
