"""The base of every model admin in /ui: rights come from the logged-in
person's role (gateway/ui/rights.py), never from Django's permission tables."""
from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gateway.ui.rights import UIRights, rights_of


class GatewayModelAdmin(admin.ModelAdmin):
    """Readers of everything (proxy admins and viewers) see every row; others
    see the rows `own_rows` gives them, or nothing when it gives None.
    Only proxy admins change anything, unless a subclass says otherwise."""

    show_full_result_count = False  # one COUNT per list page, not two
    list_per_page = 50

    def own_rows(self, queryset: QuerySet, rights: UIRights) -> QuerySet | None:
        return None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        rights = rights_of(request)
        if rights.reads_everything:
            return queryset
        own = self.own_rows(queryset, rights)
        return queryset.none() if own is None else own

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        rights = rights_of(request)
        return rights.reads_everything or self.own_rows(self.model.objects.none(), rights) is not None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return rights_of(request).is_admin

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return rights_of(request).is_admin

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return rights_of(request).is_admin
