"""Who may log into /ui, and as what.

- `UI_USERNAME` (default "admin") with `UI_PASSWORD`, or with the master key
  when UI_PASSWORD is unset: a proxy admin. Compared in constant time; the
  account row behind the session has no usable password, so neither secret is
  ever stored, in the session, a cookie or the database.
- An internal user whose password an admin has set (gateway/ui/accounts.py):
  their own keys and spend, read-only where their role says so.

Failed logins are counted per client address and per username; past
MAX_LOGIN_ATTEMPTS the form refuses every try until the lockout ends.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import User as Account
from django.core.cache import cache
from django.utils.crypto import constant_time_compare

from gateway.proxy import runtime
from keys.models import User


def admin_password() -> str:
    return settings.UI_PASSWORD or runtime.current().master_key


def admin_account() -> Account:
    """The row behind an admin session: its password is never usable."""
    account, created = Account.objects.get_or_create(
        username=settings.UI_USERNAME, defaults={"is_staff": True, "is_superuser": True})
    if created or account.has_usable_password() or not (account.is_staff and account.is_superuser):
        account.is_staff = account.is_superuser = account.is_active = True
        account.set_unusable_password()
        account.save()
    return account


class UILoginBackend(BaseBackend):
    def authenticate(self, request, username: str | None = None, password: str | None = None, **kwargs):
        if not username or not password:
            return None
        if username == settings.UI_USERNAME:
            expected = admin_password()
            if expected and constant_time_compare(password, expected):
                return admin_account()
            return None
        account = Account.objects.filter(username=username, is_active=True, is_superuser=False).first()
        if account is None:
            Account().set_password(password)  # as long as a real check: no telling missing users by timing
            return None
        if not account.check_password(password):
            return None
        if not User.objects.filter(user_id=username).exists():
            return None
        return account

    def get_user(self, user_id):
        account = Account.objects.filter(pk=user_id, is_active=True).first()
        if account is not None and account.is_superuser and account.username != settings.UI_USERNAME:
            return None  # UI_USERNAME changed: the old admin account's sessions end
        return account

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return False  # non-admins' rights come from their role (gateway/ui/rights.py), not Django's perms

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return False


class LoginThrottle:
    """Failed-login counters in Django's cache (Redis in production)."""

    def __init__(self, client: str, username: str) -> None:
        self.counters = ((f"ui-login-fail:addr:{client}", settings.MAX_LOGIN_ATTEMPTS),
                         (f"ui-login-fail:user:{username[:200]}", settings.MAX_LOGIN_ATTEMPTS * 10))

    def is_locked(self) -> bool:
        counts = cache.get_many([name for name, _ in self.counters])
        return any(counts.get(name, 0) >= limit for name, limit in self.counters)

    def record_failure(self) -> None:
        for name, _ in self.counters:
            cache.add(name, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            try:
                cache.incr(name)
            except ValueError:  # expired between add and incr
                cache.set(name, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)

    def clear_address(self) -> None:
        cache.delete(self.counters[0][0])


class UILoginForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": "Wrong username or password. Proxy admins log in with UI_USERNAME and UI_PASSWORD, "
                         "or the master key when UI_PASSWORD is not set.",
        "locked": "Too many failed logins: try again in a few minutes.",
    }

    def clean(self):
        client = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        throttle = LoginThrottle(client, self.cleaned_data.get("username") or "")
        if throttle.is_locked():
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            throttle.record_failure()
            raise
        throttle.clear_address()
        return cleaned
