"""Who may call which management endpoint. Everything not allowed here is a
401 (admin-only routes, as LiteLLM answers) or 403 (someone else's object, or
a read-only role).

A caller's rights come from its own key and role only. Whatever a non-admin
sends (a user_id, a team_id) may narrow what a key can do, never widen it
beyond what the caller itself administers (check_key_change).
"""
from __future__ import annotations

from decimal import Decimal

from gateway.errors import AuthenticationFailed, PermissionDenied
from keys.models import Team, TeamMember, User, VirtualKey
from keys.services.common import Actor

READ_ONLY_ROLES = ("proxy_admin_viewer", "internal_user_viewer")
VIEWER_ROLES = ("proxy_admin", "proxy_admin_viewer")
# How much a role may do, to compare a caller with the owner of a key it touches.
ROLE_RANK = {"internal_user_viewer": 0, "internal_user": 1, "proxy_admin_viewer": 2, "proxy_admin": 3}


def require_admin(actor: Actor, route: str) -> None:
    if not actor.is_admin:
        raise AuthenticationFailed(f"Only proxy admin can be used to generate, delete, update info for new "
                                   f"keys/users/teams. Route={route}. Your role={actor.role or 'internal_user'}")


def require_writer(actor: Actor, route: str) -> None:
    """proxy_admin_viewer and internal_user_viewer are read-only on every route."""
    if not actor.is_admin and actor.role in READ_ONLY_ROLES:
        raise PermissionDenied(f"user not allowed to access this route, role={actor.role} is read-only. "
                               f"Trying to access: {route}")


def is_team_admin(actor: Actor, team_id: str | None) -> bool:
    if not team_id or not actor.user_id:
        return False
    return TeamMember.objects.filter(team_id=team_id, user_id=actor.user_id, role="admin").exists()


def admin_team_ids(actor: Actor) -> list[str]:
    if not actor.user_id:
        return []
    return list(TeamMember.objects.filter(user_id=actor.user_id, role="admin").values_list("team_id", flat=True))


def is_within_rights(actor: Actor, user_id: str | None) -> bool:
    """Whether a key acting as `user_id` could do no more than the caller: the
    user's role is not above the caller's, and every team the user administers
    the caller administers too. Admins pass; so do the caller itself and no user."""
    if actor.is_admin or user_id is None or user_id == actor.user_id:
        return True
    role = User.objects.filter(user_id=user_id).values_list("user_role", flat=True).first() or "internal_user"
    if ROLE_RANK.get(role, ROLE_RANK["proxy_admin"]) > ROLE_RANK.get(actor.role or "internal_user", 1):
        return False
    owned = set(TeamMember.objects.filter(user_id=user_id, role="admin").values_list("team_id", flat=True))
    return owned <= set(admin_team_ids(actor))


def require_key_manager(actor: Actor, key: VirtualKey) -> None:
    """Admins manage every key; team admins their team's keys, unless the key
    acts as a user with more rights than they have (a proxy admin's key in
    their team: regenerating it would hand them admin rights)."""
    if actor.is_admin:
        return
    if not is_team_admin(actor, key.team_id):
        raise PermissionDenied("You may not change this key: only a proxy admin or an admin of its team can.")
    if not is_within_rights(actor, key.user_id):
        raise PermissionDenied(f"You may not change this key: it belongs to user {key.user_id}, who has rights "
                               "you do not have. Only a proxy admin can.")


# Key fields only a proxy admin may change: they widen what a key may do, or reset what it spent.
ADMIN_ONLY_KEY_FIELDS = {"spend": Decimal(0), "key_type": "default", "allowed_routes": [], "budget_id": None,
                         "permissions": {}}  # with their value on a new key


def check_key_change(actor: Actor, key: VirtualKey | None, fields: dict) -> None:
    """Raise unless the caller may generate (key None), update or regenerate a
    key with these fields. /key/update and /key/regenerate have passed
    require_key_manager already. Admins may do anything; for everyone else:
    - the admin-only fields stay as they are;
    - a key is generated for the caller's team (as its admin), or for the caller
      itself; it moves only to another team the caller administers, never out of one;
    - its user_id is the caller, or a member of the key's team who has no more
      rights than the caller (is_within_rights), since the key acts as that user.
    """
    if actor.is_admin:
        return
    for name, default in ADMIN_ONLY_KEY_FIELDS.items():
        current = default if key is None else (key.budget_id if name == "budget_id" else getattr(key, name))
        if name in fields and fields[name] != current:
            raise PermissionDenied(f"{name}: only a proxy admin may set it", param=name)
    team_id = fields.get("team_id") if key is None or "team_id" in fields else key.team_id
    user_id = fields.get("user_id") if key is None or "user_id" in fields else key.user_id
    if key is None:
        _check_new_key_owner(actor, team_id, user_id)
    elif team_id != key.team_id:
        if team_id is None:
            raise PermissionDenied("team_id: only a proxy admin may take a key out of its team", param="team_id")
        if not is_team_admin(actor, team_id):
            raise PermissionDenied(f"team_id: you are not an admin of team {team_id}", param="team_id")
    is_new_owner = key is None or user_id != key.user_id or team_id != key.team_id
    if user_id is not None and user_id != actor.user_id and is_new_owner:
        _check_member_owner(actor, team_id, user_id)


def _check_new_key_owner(actor: Actor, team_id: str | None, user_id: str | None) -> None:
    if team_id is not None and is_team_admin(actor, team_id):
        return
    if team_id is None and actor.user_id and user_id == actor.user_id:
        return  # an internal user makes a key for themself
    raise AuthenticationFailed("Only proxy admin can be used to generate, delete, update info for new "
                               "keys/users/teams. Route=/key/generate. Team admins may create keys for their "
                               "team (team_id); users for themselves (user_id).")


def _check_member_owner(actor: Actor, team_id: str | None, user_id: str) -> None:
    """A team admin gives a key of its team to another member, who has no more rights than it has."""
    if team_id is None or not TeamMember.objects.filter(team_id=team_id, user_id=user_id).exists():
        raise PermissionDenied(f"user_id: a key may belong only to you or to a member of its team; {user_id} is "
                               "not a member", param="user_id")
    if not is_within_rights(actor, user_id):
        raise PermissionDenied(f"user_id: {user_id} has rights you do not have (a higher role, or teams you do "
                               "not administer); only a proxy admin may give them a key", param="user_id")


def require_key_reader(actor: Actor, key: VirtualKey) -> None:
    """A key may read itself; admins and its team's admins may read it too."""
    if actor.token == key.token or actor.is_admin or is_team_admin(actor, key.team_id):
        return
    raise PermissionDenied("You may only read the info of the key you call with.")


def is_admin_viewer(actor: Actor) -> bool:
    """Admins, and users with the read-only proxy_admin_viewer role, may read everything."""
    return actor.is_admin or actor.role in VIEWER_ROLES


def require_admin_viewer(actor: Actor, route: str) -> None:
    if not is_admin_viewer(actor):
        require_admin(actor, route)


def require_team_manager(actor: Actor, team: Team, route: str) -> None:
    """Admins manage every team's members, team admins their own team's."""
    if actor.is_admin or is_team_admin(actor, team.team_id):
        return
    raise PermissionDenied(f"Call not allowed. User not proxy admin OR team admin. route={route}, "
                           f"team_id={team.team_id}")
