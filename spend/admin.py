"""/ui page for the spend log."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from spend.models import SpendLog


@admin.register(SpendLog, site=site)
class SpendLogAdmin(GatewayModelAdmin):
    list_display = ("start_time", "key_alias", "team_id", "model_group", "total_tokens", "spend", "status")

    def own_rows(self, queryset, rights):
        return queryset.filter(user_id=rights.actor.user_id)
