"""Who may call which management endpoint. Everything not allowed here is a
401 (admin-only routes, as LiteLLM answers) or 403 (someone else's object)."""
from __future__ import annotations

from gateway.errors import AuthenticationFailed, PermissionDenied
from keys.models import Team, TeamMember, User, VirtualKey
from keys.services.common import Actor


def require_admin(actor: Actor, route: str) -> None:
    if not actor.is_admin:
        raise AuthenticationFailed(f"Only proxy admin can be used to generate, delete, update info for new "
                                   f"keys/users/teams. Route={route}. Your role=internal_user")


def is_team_admin(actor: Actor, team_id: str | None) -> bool:
    if not team_id or not actor.user_id:
        return False
    return TeamMember.objects.filter(team_id=team_id, user_id=actor.user_id, role="admin").exists()


def admin_team_ids(actor: Actor) -> list[str]:
    if not actor.user_id:
        return []
    return list(TeamMember.objects.filter(user_id=actor.user_id, role="admin").values_list("team_id", flat=True))


def require_key_manager(actor: Actor, key: VirtualKey) -> None:
    """Admins manage every key, team admins their team's keys."""
    if actor.is_admin or is_team_admin(actor, key.team_id):
        return
    raise PermissionDenied("You may not change this key: only a proxy admin or an admin of its team can.")


def require_key_reader(actor: Actor, key: VirtualKey) -> None:
    """A key may read itself; admins and its team's admins may read it too."""
    if actor.token == key.token or actor.is_admin or is_team_admin(actor, key.team_id):
        return
    raise PermissionDenied("You may only read the info of the key you call with.")


def require_may_create_key(actor: Actor, team_id: str | None, user_id: str | None) -> None:
    if actor.is_admin or is_team_admin(actor, team_id):
        return
    if team_id is None and actor.user_id and user_id == actor.user_id:
        return  # an internal user makes a key for themself
    raise AuthenticationFailed("Only proxy admin can be used to generate, delete, update info for new "
                               "keys/users/teams. Route=/key/generate. Team admins may create keys for their "
                               "team (team_id); users for themselves (user_id).")


VIEWER_ROLES = ("proxy_admin", "proxy_admin_viewer")


def is_admin_viewer(actor: Actor) -> bool:
    """Admins, and users with the read-only proxy_admin_viewer role, may read everything."""
    if actor.is_admin:
        return True
    return bool(actor.user_id) and User.objects.filter(user_id=actor.user_id, user_role__in=VIEWER_ROLES).exists()


def require_admin_viewer(actor: Actor, route: str) -> None:
    if not is_admin_viewer(actor):
        require_admin(actor, route)


def require_team_manager(actor: Actor, team: Team, route: str) -> None:
    """Admins manage every team's members, team admins their own team's."""
    if actor.is_admin or is_team_admin(actor, team.team_id):
        return
    raise PermissionDenied(f"Call not allowed. User not proxy admin OR team admin. route={route}, "
                           f"team_id={team.team_id}")
