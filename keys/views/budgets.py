"""/budget/new, /budget/info (POST, as LiteLLM), /budget/update, /budget/delete, /budget/list: admins only."""
from __future__ import annotations

from rest_framework.response import Response

from gateway.errors import NotFound
from keys import permissions
from keys.models import Budget
from keys.serializers.budgets import (BudgetDeleteSerializer, BudgetInfoSerializer, BudgetNewSerializer,
                                      BudgetUpdateSerializer, budget_as_dict)
from keys.services import budgets as budget_services
from keys.views.base import ManagementView
from keys.permissions import require_admin_viewer


class BudgetNewView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/budget/new")
        fields = self.valid(BudgetNewSerializer, request.data)
        return Response(budget_as_dict(budget_services.budget_create(actor, fields)))


class BudgetInfoView(ManagementView):
    is_read_only = True  # a POST, as in LiteLLM, but a read

    def post(self, request) -> Response:
        require_admin_viewer(self.actor(request), "/budget/info")
        budget_ids = self.valid(BudgetInfoSerializer, request.data)["budgets"]
        budgets = Budget.objects.in_bulk(budget_ids)
        missing = [budget_id for budget_id in budget_ids if budget_id not in budgets]
        if missing:
            raise NotFound(f"Budget not found, passed budgets={', '.join(missing)}", param="budgets")
        return Response([budget_as_dict(budgets[budget_id]) for budget_id in dict.fromkeys(budget_ids)])


class BudgetUpdateView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/budget/update")
        fields = self.valid(BudgetUpdateSerializer, request.data)
        return Response(budget_as_dict(budget_services.budget_update(actor, fields.pop("budget_id"), fields)))


class BudgetDeleteView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/budget/delete")
        budget_id = self.valid(BudgetDeleteSerializer, request.data)["id"]
        return Response(budget_as_dict(budget_services.budget_delete(actor, budget_id)))


class BudgetListView(ManagementView):
    def get(self, request) -> Response:
        require_admin_viewer(self.actor(request), "/budget/list")
        return Response([budget_as_dict(budget) for budget in Budget.objects.order_by("created_at", "budget_id")])
