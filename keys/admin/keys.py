"""/ui: virtual keys."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.models import VirtualKey


@admin.register(VirtualKey, site=site)
class KeyAdmin(GatewayModelAdmin):
    list_display = ("key_alias", "key_name", "team", "user_id", "spend", "max_budget", "blocked", "created_at")

    def own_rows(self, queryset, rights):
        return queryset.filter(user_id=rights.actor.user_id)
