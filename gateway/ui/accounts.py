"""Logins to /ui for internal users: a django.contrib.auth account whose
username is the user's user_id, staff but never superuser (their rights come
from their role, gateway/ui/rights.py). The password is hashed by Django and
never written to the audit log."""
from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User as Account
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from gateway.errors import BadRequest, NotFound
from keys.audit import audit_record
from keys.models import User
from keys.services.common import Actor

MIN_PASSWORD_LENGTH = 12


def ui_password_set(actor: Actor, user_id: str, password: str) -> Account:
    """Create or update the user's /ui login with this password."""
    if user_id == settings.UI_USERNAME:
        raise BadRequest(f"user_id: {user_id!r} is the admin login (UI_USERNAME); an internal user cannot use it",
                         param="user_id")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadRequest(f"password: at least {MIN_PASSWORD_LENGTH} characters", param="password")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise BadRequest(f"password: {' '.join(exc.messages)}", param="password") from None
    with transaction.atomic():
        if not User.objects.select_for_update().filter(user_id=user_id).exists():
            raise NotFound(f"User not found, passed user_id={user_id}", param="user_id")
        account, created = Account.objects.get_or_create(username=user_id)
        account.is_staff, account.is_superuser, account.is_active = True, False, True
        account.set_password(password)
        account.save()
        audit_record(actor=actor.name, action="user_ui_password_set", object_type="user", object_id=user_id,
                     before=None if created else {"ui_login": True}, after={"ui_login": True})
    return account


def ui_accounts_delete(actor: Actor, user_ids: list[str]) -> int:
    """Remove the /ui logins of these users (their sessions end with them)."""
    with transaction.atomic():
        accounts = Account.objects.filter(username__in=user_ids, is_superuser=False)
        removed = list(accounts.values_list("username", flat=True))
        for user_id in removed:
            audit_record(actor=actor.name, action="user_ui_login_delete", object_type="user", object_id=user_id,
                         before={"ui_login": True}, after=None)
        accounts.delete()
    return len(removed)


def has_ui_login(user_id: str) -> bool:
    return Account.objects.filter(username=user_id, is_superuser=False, is_active=True).exists()
