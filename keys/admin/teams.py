"""/ui: teams, their members (with roles), keys, spend and budget. Every
change goes through keys/services/teams.py, as /team/* does."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html

from gateway.errors import GatewayError
from gateway.ui.forms.limits import BudgetAndLimitFields
from gateway.ui.forms.pages import ServiceAdmin, ServiceForm
from gateway.ui.forms.service import Refused, validated
from gateway.ui.rights import rights_of
from gateway.ui.site import site
from keys import permissions
from keys.admin.keys import PILL, spend_bar
from keys.models import Team, TeamMember, VirtualKey
from keys.serializers.keys import key_status
from keys.serializers.teams import MemberSerializer, TeamNewSerializer, TeamUpdateSerializer
from keys.services import teams as team_services


class TeamForm(ServiceForm, BudgetAndLimitFields):
    list_fields = ("models",)
    create_only = ("team_id",)
    field_order = ("team_alias", "team_id", "models")

    team_alias = forms.CharField(required=False, max_length=255, label="Name")
    team_id = forms.CharField(required=False, max_length=255, label="Team id",
                              help_text="Empty: a random id. Keys and spend reports use it.")
    models = forms.CharField(required=False, label="Models",
                             help_text="Comma-separated model groups the team's keys may use; empty: all.")


class MemberForm(forms.Form):
    user_id = forms.CharField(required=False, max_length=255, label="User id")
    user_email = forms.CharField(required=False, max_length=255, label="or email")
    role = forms.ChoiceField(choices=[(role, role) for role in TeamMember.ROLES], initial="user")


def count_of(model, field: str) -> Coalesce:
    """A per-row COUNT as a subquery: joining two counts would multiply them."""
    counted = (model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
               .annotate(count=Count("pk")).values("count"))
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@admin.register(Team, site=site)
class TeamAdmin(ServiceAdmin):
    list_display = ("name_column", "models_column", "member_count", "key_count", "spend_column", "status_column",
                    "created_at")
    list_display_links = ("name_column",)
    search_fields = ("team_alias", "team_id")
    ordering = ("team_alias",)
    actions = ("block_teams", "unblock_teams", "delete_selected")
    form_class = TeamForm
    new_serializer = TeamNewSerializer
    update_serializer = TeamUpdateSerializer
    detail_template = "ui/keys/team_page.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(members_n=count_of(TeamMember, "team"),
                                                      keys_n=count_of(VirtualKey, "team"))

    @admin.display(description="Team", ordering="team_alias")
    def name_column(self, team: Team) -> str:
        return format_html('<strong>{}</strong> <code class="ui-muted">{}</code>', team.team_alias or "(no name)",
                           team.team_id)

    @admin.display(description="Models")
    def models_column(self, team: Team) -> str:
        return ", ".join(team.models) if team.models else format_html('<span class="ui-muted">all</span>')

    @admin.display(description="Members", ordering="members_n")
    def member_count(self, team: Team) -> int:
        return team.members_n

    @admin.display(description="Keys", ordering="keys_n")
    def key_count(self, team: Team) -> int:
        return team.keys_n

    @admin.display(description="Spend / budget", ordering="spend")
    def spend_column(self, team: Team) -> str:
        return spend_bar(team.spend, team.max_budget)

    @admin.display(description="Status")
    def status_column(self, team: Team) -> str:
        return format_html('<span class="ui-pill bad">blocked</span>') if team.blocked else \
            format_html('<span class="ui-pill ok">active</span>')

    def title_of(self, team: Team) -> str:
        return team.team_alias or team.team_id

    # -- writes -----------------------------------------------------------------------------------
    def create(self, actor, fields: dict) -> Team:
        return team_services.team_create(actor, fields)

    def update_data(self, team: Team, form: ServiceForm) -> dict:
        return {**form.api_fields(), "team_id": team.team_id}

    def update(self, actor, team: Team, fields: dict) -> Team:
        return team_services.team_update(actor, fields.pop("team_id"), fields)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        team_services.team_delete(rights_of(request).actor, list(queryset.values_list("team_id", flat=True)))

    def delete_model(self, request: HttpRequest, obj: Team) -> None:
        team_services.team_delete(rights_of(request).actor, [obj.team_id])

    def log_deletions(self, request, queryset):
        pass  # the audit log records deletions

    def _set_blocked(self, request: HttpRequest, queryset: QuerySet, is_blocked: bool) -> None:
        actor = rights_of(request).actor
        for team_id in queryset.values_list("team_id", flat=True):
            team_services.team_set_blocked(actor, team_id, is_blocked)
        self.message_user(request, "Blocked: every key of these teams is refused." if is_blocked else "Unblocked.",
                          messages.SUCCESS)

    @admin.action(description="Block selected teams", permissions=["change"])
    def block_teams(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blocked(request, queryset, True)

    @admin.action(description="Unblock selected teams", permissions=["change"])
    def unblock_teams(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blocked(request, queryset, False)

    # -- detail: members and keys -----------------------------------------------------------------
    def detail_context(self, request: HttpRequest, team: Team) -> dict:
        members = team.members.select_related("user").order_by("user_id")
        keys = VirtualKey.objects.filter(team=team).order_by("-created_at")[:100]
        now = timezone.now()
        return {
            "team": team, "members": members, "member_form": MemberForm(),
            "roles": TeamMember.ROLES, "spend": spend_bar(team.spend, team.max_budget),
            "keys": [{"key": key, "status": key_status(key, now), "pill": PILL[key_status(key, now)],
                      "spend": spend_bar(key.spend, key.max_budget)} for key in keys],
            "may_manage_members": self._may_manage_members(request, team),
            "has_delete": self.has_delete_permission(request, team),
        }

    def _may_manage_members(self, request: HttpRequest, team: Team) -> bool:
        actor = rights_of(request).actor
        if not rights_of(request).may_write:
            return False
        try:
            permissions.require_team_manager(actor, team, "/team/member_add")
        except GatewayError:
            return False
        return True

    def get_urls(self):
        return [path("<path:object_id>/members/", self.admin_site.admin_view(self.members_view),
                     name="keys_team_members")] + super().get_urls()

    def members_view(self, request: HttpRequest, object_id: str):
        """One POST per member change: add, role, remove (the services of /team/member_*)."""
        team = get_object_or_404(self.get_queryset(request), pk=unquote(object_id))
        if request.method != "POST" or not self._may_manage_members(request, team):
            raise PermissionDenied
        actor = rights_of(request).actor
        operation = request.POST.get("operation")
        try:
            if operation == "add":
                member = validated(MemberSerializer, {name: request.POST[name] for name in
                                                      ("user_id", "user_email", "role") if request.POST.get(name)})
                team_services.team_member_add(actor, team.team_id, [member], None)
                done = f"Added {member.get('user_id') or member.get('user_email')} as {member['role']}."
            elif operation == "role":
                team_services.team_member_update(actor, team.team_id, request.POST.get("user_id", ""),
                                                 request.POST.get("role", ""))
                done = f"{request.POST.get('user_id')} is now {request.POST.get('role')}."
            elif operation == "remove":
                team_services.team_member_delete(actor, team.team_id, request.POST.get("user_id"), None)
                done = f"Removed {request.POST.get('user_id')}."
            else:
                raise Refused("operation", "add, role or remove")
            self.message_user(request, done, messages.SUCCESS)
        except Refused as exc:
            self.message_user(request, f"{exc.field}: {exc.message}" if exc.field else exc.message, messages.ERROR)
        except GatewayError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        return HttpResponseRedirect(self.change_url(team))
