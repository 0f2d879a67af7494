"""/ui: internal users, their role, budget, keys and teams, and their /ui
login (gateway/ui/accounts.py). Writes go through keys/services/users.py."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import User as Account
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from gateway.errors import GatewayError
from gateway.ui import accounts
from gateway.ui.forms.limits import BudgetAndLimitFields
from gateway.ui.forms.pages import ServiceAdmin, ServiceForm
from gateway.ui.rights import rights_of
from gateway.ui.site import site
from keys.admin.keys import PILL, spend_bar
from keys.admin.teams import count_of
from keys.models import TeamMember, User, VirtualKey
from keys.serializers.keys import key_status
from keys.serializers.users import UserNewSerializer, UserUpdateSerializer
from keys.services import users as user_services

ROLE_PILL = {"proxy_admin": "bad", "proxy_admin_viewer": "warn", "internal_user": "ok", "internal_user_viewer": ""}


class UserForm(ServiceForm, BudgetAndLimitFields):
    list_fields = ("models",)
    create_only = ("user_id",)
    field_order = ("user_id", "user_email", "user_alias", "user_role", "models")

    user_id = forms.CharField(required=False, max_length=255, label="User id",
                              help_text="Empty: a random id. Also the username of their /ui login.")
    user_email = forms.CharField(required=False, max_length=255, label="Email")
    user_alias = forms.CharField(required=False, max_length=255, label="Name")
    user_role = forms.ChoiceField(choices=[(role, role) for role in User.ROLES], initial="internal_user",
                                  label="Role", help_text="Viewers read and change nothing; proxy admins do anything.")
    models = forms.CharField(required=False, label="Models", help_text="Comma-separated; empty: all.")

    def api_fields(self) -> dict:
        values = super().api_fields()
        if not self.is_edit:
            values["auto_create_key"] = False  # keys are made on the keys page, shown once there
        return values


class PasswordForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(render_value=False), label="New /ui password",
                               min_length=accounts.MIN_PASSWORD_LENGTH,
                               help_text=f"At least {accounts.MIN_PASSWORD_LENGTH} characters. "
                                         "The user logs in with their user id.")


@admin.register(User, site=site)
class UserAdmin(ServiceAdmin):
    list_display = ("user_column", "role_column", "team_count", "spend_column", "login_column", "created_at")
    list_display_links = ("user_column",)
    list_filter = ("user_role",)
    search_fields = ("user_id", "user_email", "user_alias")
    ordering = ("user_id",)
    actions = ("delete_selected",)
    form_class = UserForm
    new_serializer = UserNewSerializer
    update_serializer = UserUpdateSerializer
    detail_template = "ui/keys/user_page.html"
    list_title = "Internal users"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        has_login = Account.objects.filter(username=OuterRef("user_id"), is_superuser=False)
        return super().get_queryset(request).annotate(teams_n=count_of(TeamMember, "user"),
                                                      has_login=Exists(has_login))

    @admin.display(description="User", ordering="user_id")
    def user_column(self, user: User) -> str:
        return format_html('<strong>{}</strong> <span class="ui-muted">{}</span>', user.user_id,
                           user.user_email or user.user_alias or "")

    @admin.display(description="Role", ordering="user_role")
    def role_column(self, user: User) -> str:
        return format_html('<span class="ui-pill {}">{}</span>', ROLE_PILL.get(user.user_role, ""), user.user_role)

    @admin.display(description="Teams", ordering="teams_n")
    def team_count(self, user: User) -> int:
        return user.teams_n

    @admin.display(description="Spend / budget", ordering="spend")
    def spend_column(self, user: User) -> str:
        return spend_bar(user.spend, user.max_budget)

    @admin.display(description="/ui login", boolean=True, ordering="has_login")
    def login_column(self, user: User) -> bool:
        return user.has_login

    def title_of(self, user: User) -> str:
        return user.user_id

    # -- writes -----------------------------------------------------------------------------------
    def create(self, actor, fields: dict) -> User:
        user, _, _ = user_services.user_create(actor, fields)
        return user

    def update_data(self, user: User, form: ServiceForm) -> dict:
        return {**form.api_fields(), "user_id": user.user_id}

    def update(self, actor, user: User, fields: dict) -> User:
        return user_services.user_update(actor, fields.pop("user_id"), fields)

    def _delete(self, request: HttpRequest, user_ids: list[str]) -> None:
        actor = rights_of(request).actor
        with transaction.atomic():
            user_services.user_delete(actor, user_ids)
            accounts.ui_accounts_delete(actor, user_ids)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._delete(request, list(queryset.values_list("user_id", flat=True)))

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        self._delete(request, [obj.user_id])

    def log_deletions(self, request, queryset):
        pass  # the audit log records deletions

    # -- detail -----------------------------------------------------------------------------------
    def detail_context(self, request: HttpRequest, user: User) -> dict:
        now = timezone.now()
        keys = VirtualKey.objects.filter(user_id=user.user_id).select_related("team").order_by("-created_at")[:100]
        return {
            "person": user, "spend": spend_bar(user.spend, user.max_budget),
            "memberships": user.memberships.select_related("team").order_by("team__team_alias"),
            "keys": [{"key": key, "status": key_status(key, now), "pill": PILL[key_status(key, now)],
                      "spend": spend_bar(key.spend, key.max_budget)} for key in keys],
            "password_form": PasswordForm() if rights_of(request).is_admin else None,
            "has_login": accounts.has_ui_login(user.user_id),
            "has_delete": self.has_delete_permission(request, user),
        }

    def get_urls(self):
        return [path("<path:object_id>/password/", self.admin_site.admin_view(self.password_view),
                     name="keys_user_password")] + super().get_urls()

    def password_view(self, request: HttpRequest, object_id: str):
        user = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if request.method != "POST" or not rights_of(request).is_admin:
            raise PermissionDenied
        form = PasswordForm(request.POST)
        if form.is_valid():
            try:
                accounts.ui_password_set(rights_of(request).actor, user.user_id, form.cleaned_data["password"])
                self.message_user(request, f"{user.user_id} can now log into /ui with this password.",
                                  messages.SUCCESS)
            except GatewayError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        else:
            for errors in form.errors.values():
                self.message_user(request, f"password: {' '.join(errors)}", messages.ERROR)
        return HttpResponseRedirect(self.change_url(user))
