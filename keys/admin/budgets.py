"""/ui: reusable budgets, shared by keys and customers. Writes go through
keys/services/budgets.py, as /budget/* does."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gateway.ui.forms.pages import ServiceAdmin, ServiceForm
from gateway.ui.rights import rights_of
from gateway.ui.site import site
from keys.admin.teams import count_of
from keys.models import Budget, EndUser, VirtualKey
from keys.serializers.budgets import BudgetNewSerializer, BudgetUpdateSerializer
from keys.services import budgets as budget_services


class BudgetForm(ServiceForm):
    create_only = ("budget_id",)

    budget_id = forms.CharField(required=False, max_length=255, label="Budget id",
                                help_text="Empty: a random id. Keys and customers refer to it.")
    max_budget = forms.CharField(required=False, label="Max budget (USD)")
    soft_budget = forms.CharField(required=False, label="Soft budget (USD)", help_text="Alerts only.")
    budget_duration = forms.CharField(required=False, max_length=16, label="Resets every",
                                      help_text='e.g. "30d", "1mo"; empty: never.')
    rpm_limit = forms.CharField(required=False, label="Requests / minute")
    tpm_limit = forms.CharField(required=False, label="Tokens / minute")
    max_parallel_requests = forms.CharField(required=False, label="Parallel requests")


@admin.register(Budget, site=site)
class BudgetAdmin(ServiceAdmin):
    list_display = ("budget_id", "max_budget", "soft_budget", "budget_duration", "limits_column", "key_count",
                    "customer_count")
    search_fields = ("budget_id",)
    ordering = ("budget_id",)
    actions = ("delete_selected",)
    form_class = BudgetForm
    new_serializer = BudgetNewSerializer
    update_serializer = BudgetUpdateSerializer
    list_title = "Budgets"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(keys_n=count_of(VirtualKey, "budget"),
                                                      customers_n=count_of(EndUser, "budget"))

    @admin.display(description="rpm · tpm · parallel")
    def limits_column(self, budget: Budget) -> str:
        return " · ".join("∞" if limit is None else f"{limit:,}"
                          for limit in (budget.rpm_limit, budget.tpm_limit, budget.max_parallel_requests))

    @admin.display(description="Keys", ordering="keys_n")
    def key_count(self, budget: Budget) -> int:
        return budget.keys_n

    @admin.display(description="Customers", ordering="customers_n")
    def customer_count(self, budget: Budget) -> int:
        return budget.customers_n

    def detail_context(self, request: HttpRequest, budget: Budget) -> dict:
        return {"has_delete": self.has_delete_permission(request, budget)}

    def create(self, actor, fields: dict) -> Budget:
        return budget_services.budget_create(actor, fields)

    def update_data(self, budget: Budget, form: ServiceForm) -> dict:
        return {**form.api_fields(), "budget_id": budget.budget_id}

    def update(self, actor, budget: Budget, fields: dict) -> Budget:
        return budget_services.budget_update(actor, fields.pop("budget_id"), fields)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for budget_id in queryset.values_list("budget_id", flat=True):
            budget_services.budget_delete(rights_of(request).actor, budget_id)

    def delete_model(self, request: HttpRequest, obj: Budget) -> None:
        budget_services.budget_delete(rights_of(request).actor, obj.budget_id)

    def log_deletions(self, request, queryset):
        pass  # the audit log records deletions
