"""Reads for the hot path's cache misses and for the management API."""
from __future__ import annotations

from django.db import close_old_connections

from keys.models import Team, TeamMember, User, VirtualKey
from gateway.types import KeyContext, Limits


def limits_of(row: VirtualKey | Team | User | None) -> Limits:
    if row is None:
        return Limits()
    return Limits(rpm=row.rpm_limit, tpm=row.tpm_limit, parallel=row.max_parallel_requests,
                  max_budget=row.max_budget, soft_budget=row.soft_budget, spend=row.spend)


def key_limits(key: VirtualKey) -> Limits:
    """The key's own limits; a reusable budget object fills in what the key leaves unset."""
    own = limits_of(key)
    budget = key.budget
    if budget is None:
        return own
    return Limits(rpm=own.rpm if own.rpm is not None else budget.rpm_limit,
                  tpm=own.tpm if own.tpm is not None else budget.tpm_limit,
                  parallel=own.parallel if own.parallel is not None else budget.max_parallel_requests,
                  max_budget=own.max_budget if own.max_budget is not None else budget.max_budget,
                  soft_budget=own.soft_budget if own.soft_budget is not None else budget.soft_budget,
                  spend=own.spend)


def key_context_off_thread(token: str) -> KeyContext | None:
    """key_context for the hot path's cache misses, run in a worker thread of its
    own (thread_sensitive=False): a slow database must not hold up asgiref's one
    shared sync thread, which every proxied response passes through."""
    close_old_connections()
    return key_context(token)


def key_context(token: str) -> KeyContext | None:
    """Everything the hot path needs about a key, in three queries at most (key
    with team and budget, user, team membership); None if unknown."""
    key = VirtualKey.objects.select_related("team", "budget").filter(token=token).first()
    if key is None:
        return None
    team = key.team
    user = User.objects.filter(user_id=key.user_id).first() if key.user_id else None
    member = TeamMember.objects.filter(team=team, user_id=key.user_id).first() if team and key.user_id else None
    return KeyContext(
        is_admin=False,
        key_name=key.key_name,
        token=key.token,
        key_alias=key.key_alias,
        user_id=key.user_id,
        team_id=team.team_id if team else None,
        team_alias=team.team_alias if team else None,
        models=tuple(key.models or ()),
        team_models=tuple(team.models or ()) if team else (),
        user_models=tuple(user.models or ()) if user else (),
        aliases={**(team.model_aliases if team else {}), **(key.aliases or {})},
        expires_at=key.expires.timestamp() if key.expires else None,
        is_blocked=key.blocked,
        is_team_blocked=bool(team and team.blocked),
        key_limits=key_limits(key),
        team_limits=limits_of(team),
        user_limits=limits_of(user),
        member_limits=Limits(max_budget=member.max_budget_in_team, spend=member.spend) if member else Limits(),
        model_rpm_limit=dict(key.model_rpm_limit or {}),
        model_tpm_limit=dict(key.model_tpm_limit or {}),
        allowed_routes=tuple(key.allowed_routes or ()),
        metadata=dict(key.metadata or {}),
        tags=tuple(key.tags or ()),
    )
