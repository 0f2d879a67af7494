"""A named cast for /ui tests: internal users with a /ui password, made over HTTP."""
from __future__ import annotations

import uuid

from tests.keys.helpers import admin
from tests.ui.ui_session import UISession, logged_in

PASSWORD = "a long enough password"


def person_with_login(admin_ui: UISession, gateway, role: str, *, name: str = "person") -> tuple[str, UISession]:
    """A new user with this role, given a /ui password on the user page; returns their id and logged-in session."""
    user_id = f"{name}-{uuid.uuid4().hex[:8]}"
    created = admin(gateway, "/user/new", {"user_id": user_id, "user_role": role, "auto_create_key": False})
    assert created.status_code == 200, created.text
    set_password(admin_ui, user_id, PASSWORD)
    return user_id, logged_in(gateway.url, user_id, PASSWORD)


def set_password(admin_ui: UISession, user_id: str, password: str):
    return admin_ui.post_form(f"/ui/keys/user/{user_id}/password/", {"password": password},
                              form_page=f"/ui/keys/user/{user_id}/change/")
