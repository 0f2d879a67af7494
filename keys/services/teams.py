"""Teams: create, update, block, delete, and their members.

A team's settings (models, limits, budget, blocked) are part of every one of
its keys' cached context, so each change invalidates all the team's key tokens
once it commits: that is what makes a block or a delete felt within a second.
"""
from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.errors import BadRequest, NotFound
from keys.audit import audit_record
from keys.durations import next_reset
from keys.models import Team, TeamMember, User, VirtualKey, new_id
from keys.services import keys as key_services
from keys.services.common import Actor, invalidate_after_commit, snapshot

# Fields a caller may set directly on a team (the API's names are the model's).
TEAM_FIELDS = ("team_alias", "organization_id", "metadata", "models", "max_budget", "soft_budget", "budget_duration",
               "tpm_limit", "rpm_limit", "max_parallel_requests", "blocked", "tags", "model_aliases")


def team_tokens(team_ids: list[str]) -> list[str]:
    return list(VirtualKey.objects.filter(team_id__in=team_ids).values_list("token", flat=True))


def _apply_fields(team: Team, fields: dict) -> None:
    for name in TEAM_FIELDS:
        if name in fields:
            setattr(team, name, fields[name])
    if "budget_duration" in fields:
        team.budget_reset_at = next_reset(team.budget_duration, timezone.now()) if team.budget_duration else None


def _locked(team_id: str) -> Team:
    team = Team.objects.select_for_update().filter(team_id=team_id).first()
    if team is None:
        raise NotFound(f"Team not found, passed team_id={team_id}", param="team_id")
    return team


def member_user(actor: Actor, member: dict) -> User:
    """The User a member entry names, created if unknown (as LiteLLM does); call inside a transaction."""
    user_id, email = member.get("user_id"), member.get("user_email")
    query = User.objects.filter(user_id=user_id) if user_id else User.objects.filter(user_email__iexact=email)
    user = query.order_by("created_at").first()
    if user is not None:
        return user
    user = User(user_id=user_id or new_id(), user_email=email, created_by=actor.name)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:  # created concurrently under the same user_id
        return User.objects.get(user_id=user.user_id)
    audit_record(actor=actor.name, action="user_create", object_type="user", object_id=user.user_id, before=None,
                 after=snapshot(user))
    return user


def _add_members(actor: Actor, team: Team, members: list[dict],
                 max_budget_in_team: Decimal | None) -> tuple[list[User], list[TeamMember]]:
    users, memberships = [], []
    for member in members:
        user = member_user(actor, member)
        membership = TeamMember(team=team, user=user, role=member.get("role") or "user",
                                max_budget_in_team=max_budget_in_team)
        try:
            with transaction.atomic():
                membership.save(force_insert=True)
        except IntegrityError:
            raise BadRequest(f"User already in team. Member: user_id={user.user_id}, team_id={team.team_id}",
                             param="member", error_type="team_member_already_in_team") from None
        audit_record(actor=actor.name, action="team_member_add", object_type="team", object_id=team.team_id,
                     before=None, after=snapshot(membership))
        users.append(user)
        memberships.append(membership)
    user_ids = [user.user_id for user in users]
    invalidate_after_commit(VirtualKey.objects.filter(team=team, user_id__in=user_ids).values_list("token", flat=True))
    return users, memberships


def team_create(actor: Actor, fields: dict) -> Team:
    team_id = fields.get("team_id") or new_id()
    with transaction.atomic():
        team = Team(team_id=team_id, created_by=actor.name)
        _apply_fields(team, fields)
        try:
            with transaction.atomic():
                team.save(force_insert=True)
        except IntegrityError:
            raise BadRequest(f"Team id = {team_id} already exists. Please use a different team id.",
                             param="team_id") from None
        audit_record(actor=actor.name, action="team_create", object_type="team", object_id=team.team_id,
                     before=None, after=snapshot(team))
        _add_members(actor, team, fields.get("members_with_roles") or [], None)
    return team


def team_update(actor: Actor, team_id: str, fields: dict) -> Team:
    with transaction.atomic():
        team = _locked(team_id)
        before = snapshot(team)
        _apply_fields(team, fields)
        team.save()
        audit_record(actor=actor.name, action="team_update", object_type="team", object_id=team.team_id,
                     before=before, after=snapshot(team))
        invalidate_after_commit(team_tokens([team.team_id]))
    return team


def team_set_blocked(actor: Actor, team_id: str, is_blocked: bool) -> Team:
    """Every key of a blocked team is refused; its tokens are invalidated so the proxy sees it at once."""
    with transaction.atomic():
        team = _locked(team_id)
        before = snapshot(team)
        team.blocked = is_blocked
        team.save(update_fields=["blocked", "updated_at"])
        audit_record(actor=actor.name, action="team_block" if is_blocked else "team_unblock", object_type="team",
                     object_id=team.team_id, before=before, after=snapshot(team))
        invalidate_after_commit(team_tokens([team.team_id]))
    return team


def team_delete(actor: Actor, team_ids: list[str]) -> list[str]:
    """Delete the teams, their keys (each audited and invalidated) and their memberships."""
    team_ids = list(dict.fromkeys(team_ids))
    with transaction.atomic():
        # Lock the teams first: a key being created for one of them waits, then fails on the foreign key,
        # so no key escapes the list below.
        teams = [_locked(team_id) for team_id in team_ids]
        key_services.key_delete(actor, list(VirtualKey.objects.filter(team_id__in=team_ids)))
        for team in teams:
            members = [snapshot(member) for member in team.members.all()]
            audit_record(actor=actor.name, action="team_delete", object_type="team", object_id=team.team_id,
                         before={**snapshot(team), "members": members}, after=None)
        Team.objects.filter(team_id__in=team_ids).delete()
    return team_ids


def team_member_add(actor: Actor, team_id: str, members: list[dict],
                    max_budget_in_team: Decimal | None) -> tuple[Team, list[User], list[TeamMember]]:
    with transaction.atomic():
        team = _locked(team_id)
        users, memberships = _add_members(actor, team, members, max_budget_in_team)
    return team, users, memberships


def team_member_delete(actor: Actor, team_id: str, user_id: str | None, user_email: str | None) -> Team:
    with transaction.atomic():
        team = _locked(team_id)
        memberships = TeamMember.objects.filter(team=team)
        memberships = memberships.filter(user_id=user_id) if user_id else \
            memberships.filter(user__user_email__iexact=user_email)
        found = list(memberships)
        if not found:
            raise NotFound(f"User not found in team, passed user_id={user_id}, user_email={user_email}",
                           param="user_id" if user_id else "user_email")
        for membership in found:
            audit_record(actor=actor.name, action="team_member_delete", object_type="team", object_id=team.team_id,
                         before=snapshot(membership), after=None)
        TeamMember.objects.filter(id__in=[m.id for m in found]).delete()
        invalidate_after_commit(VirtualKey.objects.filter(team=team, user_id__in=[m.user_id for m in found])
                                .values_list("token", flat=True))
    return team


def team_member_update(actor: Actor, team_id: str, user_id: str, role: str) -> TeamMember:
    """Change a member's role (admin or user) in the team, keeping their in-team budget and spend."""
    if role not in TeamMember.ROLES:
        raise BadRequest(f"role: must be one of {', '.join(TeamMember.ROLES)}", param="role")
    with transaction.atomic():
        team = _locked(team_id)
        membership = TeamMember.objects.select_for_update().filter(team=team, user_id=user_id).first()
        if membership is None:
            raise NotFound(f"User not found in team, passed user_id={user_id}", param="user_id")
        before = snapshot(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(actor=actor.name, action="team_member_update", object_type="team", object_id=team.team_id,
                     before=before, after=snapshot(membership))
        invalidate_after_commit(VirtualKey.objects.filter(team=team, user_id=user_id).values_list("token", flat=True))
    return membership
