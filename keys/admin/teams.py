"""/ui: teams and their members."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.models import Team


@admin.register(Team, site=site)
class TeamAdmin(GatewayModelAdmin):
    list_display = ("team_alias", "team_id", "spend", "max_budget", "blocked")
