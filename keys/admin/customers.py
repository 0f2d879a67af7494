"""/ui: customers (LiteLLM's end users: the `user` field of a request).
Writes go through keys/services/customers.py, as /customer/* does."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from gateway.ui.forms.pages import ServiceAdmin, ServiceForm
from gateway.ui.rights import rights_of
from gateway.ui.site import site
from keys.admin.keys import spend_bar
from keys.models import Budget, EndUser
from keys.serializers.customers import CustomerNewSerializer, CustomerUpdateSerializer
from keys.services import customers as customer_services


class CustomerForm(ServiceForm):
    create_only = ("user_id",)

    user_id = forms.CharField(max_length=255, label="Customer id",
                              help_text="The `user` field your application sends with each request.")
    alias = forms.CharField(required=False, max_length=255, label="Name")
    budget_id = forms.ChoiceField(required=False, label="Budget", choices=())
    default_model = forms.CharField(required=False, max_length=255, label="Default model")
    allowed_model_region = forms.ChoiceField(required=False, label="Region",
                                             choices=[("", "any"), ("eu", "eu"), ("us", "us")])
    blocked = forms.BooleanField(required=False, label="Blocked")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        budgets = Budget.objects.order_by("budget_id").values_list("budget_id", "max_budget")[:1000]
        self.fields["budget_id"].choices = [("", "— none —")] + [
            (budget_id, budget_id if limit is None else f"{budget_id} (${limit})") for budget_id, limit in budgets]


@admin.register(EndUser, site=site)
class CustomerAdmin(ServiceAdmin):
    list_display = ("user_id", "alias", "spend_column", "budget", "default_model", "status_column", "created_at")
    list_select_related = ("budget",)
    list_filter = ("blocked",)
    search_fields = ("user_id", "alias")
    ordering = ("user_id",)
    actions = ("block_customers", "unblock_customers", "delete_selected")
    form_class = CustomerForm
    new_serializer = CustomerNewSerializer
    update_serializer = CustomerUpdateSerializer
    list_title = "Customers"

    @admin.display(description="Spend / budget", ordering="spend")
    def spend_column(self, customer: EndUser) -> str:
        return spend_bar(customer.spend, customer.budget.max_budget if customer.budget else None)

    @admin.display(description="Status", ordering="blocked")
    def status_column(self, customer: EndUser) -> str:
        return format_html('<span class="ui-pill bad">blocked</span>') if customer.blocked else \
            format_html('<span class="ui-pill ok">active</span>')

    def detail_context(self, request: HttpRequest, customer: EndUser) -> dict:
        return {"has_delete": self.has_delete_permission(request, customer)}

    def create(self, actor, fields: dict) -> EndUser:
        return customer_services.customer_create(actor, fields)

    def update_data(self, customer: EndUser, form: ServiceForm) -> dict:
        return {**form.api_fields(), "user_id": customer.user_id}

    def update(self, actor, customer: EndUser, fields: dict) -> EndUser:
        return customer_services.customer_update(actor, fields.pop("user_id"), fields)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        customer_services.customer_delete(rights_of(request).actor, list(queryset.values_list("user_id", flat=True)))

    def delete_model(self, request: HttpRequest, obj: EndUser) -> None:
        customer_services.customer_delete(rights_of(request).actor, [obj.user_id])

    def log_deletions(self, request, queryset):
        pass  # the audit log records deletions

    def _set_blocked(self, request: HttpRequest, queryset: QuerySet, is_blocked: bool) -> None:
        user_ids = list(queryset.values_list("user_id", flat=True))
        customer_services.customer_set_blocked(rights_of(request).actor, user_ids, is_blocked)
        self.message_user(request, f"{'Blocked' if is_blocked else 'Unblocked'} {len(user_ids)} customer(s).",
                          messages.SUCCESS)

    @admin.action(description="Block selected customers", permissions=["change"])
    def block_customers(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blocked(request, queryset, True)

    @admin.action(description="Unblock selected customers", permissions=["change"])
    def unblock_customers(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_blocked(request, queryset, False)
