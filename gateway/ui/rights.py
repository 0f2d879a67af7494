"""What the person logged into /ui may do, as the management API's Actor.

The admin account (UI_USERNAME) is a proxy admin. An internal user acts with
their own user_id and role, exactly as their key would on the API, so the same
permission checks (keys/permissions.py) apply either way.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from keys.models import User
from keys.permissions import READ_ONLY_ROLES, VIEWER_ROLES
from keys.services.common import Actor


@dataclass(frozen=True, slots=True)
class UIRights:
    actor: Actor

    @property
    def is_admin(self) -> bool:
        return self.actor.is_admin

    @property
    def reads_everything(self) -> bool:
        """Proxy admins and proxy_admin_viewer users; everyone else sees their own rows."""
        return self.actor.is_admin or self.actor.role in VIEWER_ROLES

    @property
    def may_write(self) -> bool:
        return self.actor.is_admin or self.actor.role not in READ_ONLY_ROLES


def rights_of(request: HttpRequest) -> UIRights:
    """Read once per request (one query for an internal user, none for the admin)."""
    cached = getattr(request, "_ui_rights", None)
    if cached is not None:
        return cached
    account = request.user
    if account.is_superuser:
        actor = Actor(name=f"ui:{account.username}", is_admin=True, role="proxy_admin")
    else:
        role = User.objects.filter(user_id=account.username).values_list("user_role", flat=True).first()
        actor = Actor(name=account.username, is_admin=role == "proxy_admin", user_id=account.username,
                      role=role or "internal_user_viewer")
    request._ui_rights = UIRights(actor)
    return request._ui_rights
