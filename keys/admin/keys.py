"""/ui: virtual keys. The list shows what a key may spend and do at a glance;
every change goes through the management API's serializers, permission checks
and services (keys/services/keys.py), so the page and /key/* act alike."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from gateway.errors import GatewayError
from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.forms.keys import KeyForm, key_initial
from gateway.ui.forms.service import attempt, validated
from gateway.ui.rights import UIRights, rights_of
from gateway.ui.site import site
from keys import permissions
from keys.models import Team, VirtualKey
from keys.serializers.keys import KeyGenerateSerializer, KeyUpdateSerializer, key_status
from keys.services import keys as key_services
from keys.services.common import Actor

PILL = {"active": "ok", "blocked": "bad", "expired": "warn"}


def last_used_subquery() -> Subquery:
    """The newest spend-log row of each key: one probe of the (api_key, start_time)
    index per listed key (spend/migrations/0002), inside the list's one query.
    Looked up by name: keys/ does not import spend/."""
    spend_log = apps.get_model("spend", "SpendLog")
    newest = spend_log.objects.filter(api_key=OuterRef("token")).order_by("-start_time").values("start_time")[:1]
    return Subquery(newest)


def spend_bar(spend: Decimal, budget: Decimal | None) -> str:
    if budget is None:
        return format_html('<span class="ui-money">${}</span> <span class="ui-muted">no budget</span>',
                           f"{spend:.4f}")
    share = spend / budget if budget > 0 else Decimal(1)
    level = "bad" if share >= 1 else "warn" if share >= Decimal("0.8") else ""
    return format_html('<span class="ui-bar {}" title="{}% of the budget"><span style="width:{}%"></span></span>'
                       '<span class="ui-money">${}</span> <span class="ui-muted">/ ${}</span>', level,
                       f"{share * 100:.0f}", f"{min(share, 1) * 100:.0f}", f"{spend:.4f}", f"{budget:.2f}")


def is_whole_key(term: str) -> bool:
    return term.startswith("sk-") and len(term) > 12 and "..." not in term


def may_manage(actor: Actor, key: VirtualKey) -> bool:
    """Whether /key/update, /key/block... would let this actor change the key."""
    if not actor.is_admin and actor.role in permissions.READ_ONLY_ROLES:
        return False
    try:
        permissions.require_key_manager(actor, key)
    except GatewayError:
        return False
    return True


class TeamFilter(admin.SimpleListFilter):
    """A select of teams by alias, not a list of links: there may be a thousand."""

    title = "team"
    parameter_name = "team"
    template = "admin/keys/select_filter.html"

    def lookups(self, request, model_admin):
        if not rights_of(request).reads_everything:
            return []
        rows = Team.objects.order_by("team_alias", "team_id").values_list("team_id", "team_alias")
        return [("-", "no team")] + [(team_id, alias or team_id) for team_id, alias in rows]

    def queryset(self, request, queryset):
        if self.value() == "-":
            return queryset.filter(team__isnull=True)
        if self.value():
            return queryset.filter(team_id=self.value())
        return queryset


class WholeKeyFilter(admin.SimpleListFilter):
    """The one key whose hash a whole-key search gave (see KeyAdmin.changelist_view)."""

    title = "key"
    parameter_name = "token"

    def lookups(self, request, model_admin):
        return [(self.value(), "the key searched for")] if self.value() else []

    def queryset(self, request, queryset):
        return queryset.filter(token=self.value()) if self.value() else queryset


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("blocked", "blocked"), ("expired", "expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "blocked":
            return queryset.filter(blocked=True)
        if self.value() == "expired":
            return queryset.filter(blocked=False, expires__lte=now)
        if self.value() == "active":
            return queryset.filter(Q(expires__isnull=True) | Q(expires__gt=now), blocked=False)
        return queryset


class OverBudgetFilter(admin.SimpleListFilter):
    title = "budget"
    parameter_name = "budget"

    def lookups(self, request, model_admin):
        return [("over", "at or over budget"), ("near", "past 80% of budget")]

    def queryset(self, request, queryset):
        if self.value() == "over":
            return queryset.filter(max_budget__isnull=False, spend__gte=F("max_budget"))
        if self.value() == "near":
            return queryset.filter(max_budget__isnull=False, spend__gte=F("max_budget") * Decimal("0.8"))
        return queryset


class ExpiringFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        return [("7d", "expires within 7 days")]

    def queryset(self, request, queryset):
        if self.value() == "7d":
            now = timezone.now()
            return queryset.filter(expires__gt=now, expires__lte=now + timedelta(days=7))
        return queryset


@admin.register(VirtualKey, site=site)
class KeyAdmin(GatewayModelAdmin):
    list_display = ("alias_column", "team_column", "user_id", "models_column", "spend_column", "limits_column",
                    "status_column", "created_at", "last_used_column")
    list_display_links = ("alias_column",)
    list_select_related = ("team",)
    list_filter = (WholeKeyFilter, TeamFilter, StatusFilter, OverBudgetFilter, ExpiringFilter)
    search_fields = ("key_alias",)  # shows the search box; get_search_results does the matching
    search_help_text = "An alias, the last four characters of a key, or a whole key."
    ordering = ("-created_at",)
    actions = ("block_keys", "unblock_keys", "delete_selected")

    # -- rows -------------------------------------------------------------------------------------
    def own_rows(self, queryset: QuerySet, rights: UIRights) -> QuerySet:
        return queryset.filter(user_id=rights.actor.user_id)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(last_used=last_used_subquery())

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(key_alias__icontains=term)
        if len(term) == 4:
            match |= Q(key_name=f"sk-...{term}")
        return queryset.filter(match), False

    # -- columns ----------------------------------------------------------------------------------
    @admin.display(description="Key", ordering="key_alias")
    def alias_column(self, key: VirtualKey) -> str:
        return format_html('<strong>{}</strong> <code class="ui-muted">{}</code>', key.key_alias or "(no alias)",
                           key.key_name)

    @admin.display(description="Team", ordering="team__team_alias")
    def team_column(self, key: VirtualKey) -> str:
        return (key.team.team_alias or key.team_id) if key.team else "—"

    @admin.display(description="Models")
    def models_column(self, key: VirtualKey) -> str:
        if not key.models:
            return format_html('<span class="ui-muted">all</span>')
        shown = ", ".join(key.models[:3])
        return shown + (f" +{len(key.models) - 3}" if len(key.models) > 3 else "")

    @admin.display(description="Spend / budget", ordering="spend")
    def spend_column(self, key: VirtualKey) -> str:
        return spend_bar(key.spend, key.max_budget)

    @admin.display(description="rpm · tpm · parallel")
    def limits_column(self, key: VirtualKey) -> str:
        return " · ".join("∞" if limit is None else f"{limit:,}"
                          for limit in (key.rpm_limit, key.tpm_limit, key.max_parallel_requests))

    @admin.display(description="Status")
    def status_column(self, key: VirtualKey) -> str:
        status = key_status(key, timezone.now())
        return format_html('<span class="ui-pill {}">{}</span>', PILL[status], status)

    @admin.display(description="Last used", ordering="last_used")
    def last_used_column(self, key: VirtualKey) -> str:
        return key.last_used.strftime("%Y-%m-%d %H:%M") if key.last_used else "never"

    # -- rights -----------------------------------------------------------------------------------
    def has_add_permission(self, request: HttpRequest) -> bool:
        rights = rights_of(request)
        return rights.is_admin or rights.actor.role == "internal_user"

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        rights = rights_of(request)
        if obj is not None:
            return may_manage(rights.actor, obj)
        return rights.may_write and (rights.is_admin or bool(permissions.admin_team_ids(rights.actor)))

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_change_permission(request, obj)

    # -- actions ----------------------------------------------------------------------------------
    def _set_blocked(self, request: HttpRequest, queryset: QuerySet, is_blocked: bool) -> None:
        actor = rights_of(request).actor
        done, refused = 0, []
        for key in queryset.select_related(None):
            try:
                permissions.require_key_manager(actor, key)
                key_services.key_set_blocked(actor, key, is_blocked)
                done += 1
            except GatewayError as exc:
                refused.append(f"{key.key_alias or key.key_name}: {exc.message}")
        verb = "Blocked" if is_blocked else "Unblocked"
        if done:
            self.message_user(request, f"{verb} {done} key{'s' if done != 1 else ''}.", messages.SUCCESS)
        for problem in refused:
            self.message_user(request, problem, messages.ERROR)

    @admin.action(description="Block selected keys", permissions=["change"])
    def block_keys(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blocked(request, queryset, True)

    @admin.action(description="Unblock selected keys", permissions=["change"])
    def unblock_keys(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blocked(request, queryset, False)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = rights_of(request).actor
        keys = list(queryset.select_related(None))
        for key in keys:
            permissions.require_key_manager(actor, key)
        key_services.key_delete(actor, keys)

    def delete_model(self, request: HttpRequest, obj: VirtualKey) -> None:
        permissions.require_key_manager(rights_of(request).actor, obj)
        key_services.key_delete(rights_of(request).actor, [obj])

    def get_deleted_objects(self, objs, request):
        """Name keys by alias and key_name on the confirmation page, never by their hash."""
        names = [f"{key.key_alias or '(no alias)'} ({key.key_name})" for key in objs]
        return names, {"keys": len(names)}, set(), []

    def log_deletions(self, request, queryset):
        pass  # the audit log (keys/audit.py) records deletions; Django's LogEntry would hold the hash

    # -- pages ------------------------------------------------------------------------------------
    def changelist_view(self, request: HttpRequest, extra_context=None):
        term = request.GET.get("q", "").strip()
        if is_whole_key(term):
            # Never echo a raw key back into the page's links (or the browser's history): search by its hash.
            return HttpResponseRedirect(f"{request.path}?token={key_services.hash_key(term)}")
        return super().changelist_view(request, {"title": "Virtual keys", **(extra_context or {})})

    def get_urls(self):
        own = [
            path("<path:object_id>/regenerate/", self.admin_site.admin_view(self.regenerate_view),
                 name="keys_virtualkey_regenerate"),
            path("<path:object_id>/block/", self.admin_site.admin_view(self.block_view),
                 name="keys_virtualkey_block"),
        ]
        return own + super().get_urls()

    def _page(self, request: HttpRequest, template: str, **context) -> TemplateResponse:
        return TemplateResponse(request, template, {**self.admin_site.each_context(request),
                                                    "opts": self.model._meta, **context})

    def _team_choices(self, actor: Actor) -> list[str] | None:
        return None if actor.is_admin else permissions.admin_team_ids(actor)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        if not self.has_add_permission(request):
            raise Forbidden("Your role may not do this.")
        actor = rights_of(request).actor
        form = KeyForm(request.POST or None, team_ids=self._team_choices(actor),
                       initial={"user_id": actor.user_id or ""})
        if request.method == "POST" and form.is_valid():
            def create():
                fields = validated(KeyGenerateSerializer, form.api_fields(is_edit=False))
                permissions.check_key_change(actor, None, fields)
                return key_services.key_generate(actor, fields)
            created = attempt(form, create)
            if created is not None:
                key, raw_key = created
                return self._page(request, "ui/keys/new_key.html", title="Key created", key=key, raw_key=raw_key)
        return self._page(request, "ui/keys/key_form.html", title="New virtual key", form=form,
                          submit_id="ui-create-key", submit_label="Create key")

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        key = get_object_or_404(self.get_queryset(request).select_related("team"), token=object_id)
        actor = rights_of(request).actor
        may_change = may_manage(actor, key)
        form = KeyForm(request.POST or None, team_ids=self._team_choices(actor), is_edit=True,
                       initial=key_initial(key))
        if request.method == "POST":
            if not may_change:
                raise Forbidden("Your role may not do this.")
            if form.is_valid():
                def update():
                    fields = validated(KeyUpdateSerializer, form.api_fields(is_edit=True))
                    permissions.check_key_change(actor, key, fields)
                    return key_services.key_update(actor, key, fields)
                if attempt(form, update) is not None:
                    self.message_user(request, "Key saved.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("ui:keys_virtualkey_change", args=[key.token]))
        status = key_status(key, timezone.now())
        return self._page(request, "ui/keys/key_detail.html", title=key.key_alias or key.key_name, key=key,
                          form=form if may_change else None, may_change=may_change, status=status,
                          pill=PILL[status], spend=spend_bar(key.spend, key.max_budget),
                          submit_id="ui-save-key", submit_label="Save")

    def regenerate_view(self, request: HttpRequest, object_id: str):
        key = get_object_or_404(self.get_queryset(request), token=object_id)
        actor = rights_of(request).actor
        if request.method != "POST" or not may_manage(actor, key):
            raise Forbidden("Your role may not do this.")
        fresh, raw_key = key_services.key_regenerate(actor, key, None, {})
        return self._page(request, "ui/keys/new_key.html", title="Key regenerated", key=fresh, raw_key=raw_key,
                          is_regenerated=True)

    def block_view(self, request: HttpRequest, object_id: str):
        key = get_object_or_404(self.get_queryset(request), token=object_id)
        actor = rights_of(request).actor
        if request.method != "POST" or not may_manage(actor, key):
            raise Forbidden("Your role may not do this.")
        is_blocked = request.POST.get("blocked") == "1"
        key_services.key_set_blocked(actor, key, is_blocked)
        self.message_user(request, "Key blocked." if is_blocked else "Key unblocked.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("ui:keys_virtualkey_change", args=[key.token]))
