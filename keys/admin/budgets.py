"""/ui: reusable budgets."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.models import Budget


@admin.register(Budget, site=site)
class BudgetAdmin(GatewayModelAdmin):
    list_display = ("budget_id", "max_budget", "budget_duration", "rpm_limit", "tpm_limit")
