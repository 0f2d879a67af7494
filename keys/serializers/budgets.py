"""Validation of /budget/* bodies and the shape of a budget in answers (LiteLLM's LiteLLM_BudgetTable)."""
from __future__ import annotations

from rest_framework import serializers

from keys.models import Budget
from keys.serializers.fields import DurationField, as_float, as_iso, limit, money, parallel_limit


class BudgetFieldsSerializer(serializers.Serializer):
    max_budget = money()
    soft_budget = money()
    max_parallel_requests = parallel_limit()
    tpm_limit = limit()
    rpm_limit = limit()
    budget_duration = DurationField(required=False, allow_null=True)


class BudgetNewSerializer(BudgetFieldsSerializer):
    budget_id = serializers.CharField(required=False, allow_null=True, max_length=255)


class BudgetUpdateSerializer(BudgetFieldsSerializer):
    budget_id = serializers.CharField(max_length=255)


class BudgetInfoSerializer(serializers.Serializer):
    budgets = serializers.ListField(child=serializers.CharField(max_length=255), allow_empty=False)


class BudgetDeleteSerializer(serializers.Serializer):
    id = serializers.CharField(max_length=255)  # LiteLLM's name for the budget_id here




def budget_as_dict(budget: Budget) -> dict:
    return {
        "budget_id": budget.budget_id, "max_budget": as_float(budget.max_budget),
        "soft_budget": as_float(budget.soft_budget), "max_parallel_requests": budget.max_parallel_requests,
        "tpm_limit": budget.tpm_limit, "rpm_limit": budget.rpm_limit, "budget_duration": budget.budget_duration,
        "budget_reset_at": as_iso(budget.budget_reset_at), "created_by": budget.created_by,
        "created_at": as_iso(budget.created_at), "updated_at": as_iso(budget.updated_at),
    }
