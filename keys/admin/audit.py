"""/ui: the hash-chained audit log, read-only for everyone: newest first, each
change as a before/after table of the fields it changed, and a "Verify chain"
button (the walk reads every row, so it runs only when asked)."""
from __future__ import annotations

import re

import orjson
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.audit import audit_verify
from keys.models import AuditEntry

OBJECT_TYPES = ("key", "team", "user", "budget", "customer")
# The actions keys/services write; a fixed list, so the filter costs no scan of the log.
ACTIONS = tuple(f"{kind}_{verb}" for kind, verbs in (
    ("key", ("generate", "update", "block", "unblock", "delete", "regenerate")),
    ("team", ("create", "update", "block", "unblock", "delete", "member_add", "member_delete")),
    ("user", ("create", "update", "delete")),
    ("budget", ("create", "update", "delete")),
    ("customer", ("create", "update", "block", "unblock", "delete")),
) for verb in verbs)
MISSING = object()
DECIMAL = re.compile(r"-?\d+\.\d+")


def changed_fields(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """(field, before, after) for each field whose value differs; a created
    object shows every field with an empty "before", a deleted one the reverse."""
    is_whole_object = before is None or after is None
    before, after = before or {}, after or {}
    rows = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, MISSING), after.get(name, MISSING)
        if old == new or (is_whole_object and _is_empty(new if old is MISSING else old)):
            continue  # unchanged, or an empty field of a created or deleted object
        rows.append((name, _shown(old), _shown(new)))
    return rows


def _is_empty(value: object) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _shown(value: object) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, str) and DECIMAL.fullmatch(value):
        return value.rstrip("0").rstrip(".")  # money is stored as "5.00000000"
    return "null" if value is None else orjson.dumps(value).decode() if isinstance(value, (dict, list, bool)) \
        else str(value)


def form_choices(spec: admin.SimpleListFilter, changelist) -> list[dict]:
    """What our filter templates need: the options, and the other filters'
    parameters to keep when this one's form is submitted."""
    keep = [(name, value) for name, value in changelist.params.items() if name != spec.parameter_name]
    options = [(value, label, value == spec.value()) for value, label in spec.lookup_choices]
    return [{"keep": keep, "options": options, "value": spec.value() or ""}]


class ChoiceFilter(admin.SimpleListFilter):
    """A select of fixed choices (no DISTINCT over the log, no wall of links)."""

    template = "admin/keys/auditentry/select_filter.html"
    choices_of: tuple[str, ...] = ()

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.choices_of]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset

    def choices(self, changelist) -> list[dict]:
        return form_choices(self, changelist)


class ActionFilter(ChoiceFilter):
    title = "action"
    parameter_name = "action"
    choices_of = ACTIONS


class ObjectTypeFilter(ChoiceFilter):
    title = "object type"
    parameter_name = "object_type"
    choices_of = OBJECT_TYPES


class ActorFilter(admin.SimpleListFilter):
    """An exact actor typed in: there may be thousands of them."""

    title = "actor"
    parameter_name = "actor"
    template = "admin/keys/auditentry/input_filter.html"

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        return queryset.filter(actor=self.value()) if self.value() else queryset

    def choices(self, changelist) -> list[dict]:
        return form_choices(self, changelist)


@admin.register(AuditEntry, site=site)
class AuditAdmin(GatewayModelAdmin):
    list_display = ("created_at", "actor", "action", "object_label", "changes_in_brief")
    list_display_links = ("created_at",)
    list_filter = (ActionFilter, ObjectTypeFilter, ActorFilter)
    ordering = ("-id",)
    show_facets = admin.ShowFacets.NEVER  # counts per choice would scan the whole log
    fields = ("created_at", "actor", "action", "object_type", "object_id", "changes", "entry_hash")
    readonly_fields = fields
    change_list_template = "admin/keys/auditentry/change_list.html"
    change_form_template = "admin/keys/auditentry/change_form.html"

    @admin.display(description="object")
    def object_label(self, entry: AuditEntry) -> SafeString:
        """Key ids are 64-character hashes: the start is enough to tell them apart."""
        shown = entry.object_id if len(entry.object_id) <= 24 else f"{entry.object_id[:12]}…"
        return format_html('{} <code title="{}">{}</code>', entry.object_type, entry.object_id, shown)

    @admin.display(description="change")
    def changes(self, entry: AuditEntry) -> SafeString:
        return render_to_string("admin/keys/auditentry/changes.html",
                                {"rows": changed_fields(entry.before, entry.after), "is_compact": False})

    @admin.display(description="change")
    def changes_in_brief(self, entry: AuditEntry) -> SafeString:
        """In the list, a created or deleted object's many fields fold behind their names."""
        return render_to_string("admin/keys/auditentry/changes.html",
                                {"rows": changed_fields(entry.before, entry.after), "is_compact": True})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        return super().changelist_view(request, {"title": "Audit log", **(extra_context or {})})

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None):
        return super().change_view(request, object_id, form_url,
                                   {"title": f"Audit entry {object_id}", **(extra_context or {})})

    def get_actions(self, request: HttpRequest) -> dict:
        return {}

    def get_urls(self) -> list:
        verify = self.admin_site.admin_view(require_POST(self.verify_view))
        return [path("verify/", verify, name="keys_auditentry_verify")] + super().get_urls()

    def verify_view(self, request: HttpRequest) -> HttpResponseRedirect:
        if not self.has_view_permission(request):
            raise PermissionDenied
        checked, chain_break = audit_verify()
        if chain_break is None:
            messages.success(request, f"Chain intact: {checked} row{'s' if checked != 1 else ''} checked.")
        else:
            messages.error(request, f"Chain broken at entry {chain_break.entry_id}: {chain_break.reason} "
                                    f"({checked} row{'s' if checked != 1 else ''} checked before it).")
        return HttpResponseRedirect(reverse("ui:keys_auditentry_changelist"))
