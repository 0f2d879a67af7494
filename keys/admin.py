"""/ui pages for keys, teams, users, budgets, customers and the audit log."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.models import AuditEntry, Budget, EndUser, Team, User, VirtualKey


@admin.register(VirtualKey, site=site)
class KeyAdmin(GatewayModelAdmin):
    list_display = ("key_alias", "key_name", "team", "user_id", "spend", "max_budget", "blocked", "created_at")

    def own_rows(self, queryset, rights):
        return queryset.filter(user_id=rights.actor.user_id)


@admin.register(Team, site=site)
class TeamAdmin(GatewayModelAdmin):
    list_display = ("team_alias", "team_id", "spend", "max_budget", "blocked")


@admin.register(User, site=site)
class UserAdmin(GatewayModelAdmin):
    list_display = ("user_id", "user_email", "user_role", "spend", "max_budget")


@admin.register(Budget, site=site)
class BudgetAdmin(GatewayModelAdmin):
    list_display = ("budget_id", "max_budget", "budget_duration", "rpm_limit", "tpm_limit")


@admin.register(EndUser, site=site)
class CustomerAdmin(GatewayModelAdmin):
    list_display = ("user_id", "alias", "spend", "blocked")


@admin.register(AuditEntry, site=site)
class AuditAdmin(GatewayModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id")
