"""Validation of /customer/* (end-user) bodies and the shape of a customer in answers (LiteLLM's)."""
from __future__ import annotations

from rest_framework import serializers

from keys.models import EndUser
from keys.serializers.budgets import BudgetFieldsSerializer, budget_as_dict
from keys.serializers.fields import mapping, money


class CustomerFieldsSerializer(BudgetFieldsSerializer):
    """The budget fields (inherited) go to the customer's Budget row, the others to the customer."""

    alias = serializers.CharField(required=False, allow_null=True, max_length=255)
    blocked = serializers.BooleanField(required=False)
    budget_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    allowed_model_region = serializers.ChoiceField(choices=["eu", "us"], required=False, allow_null=True)
    default_model = serializers.CharField(required=False, allow_null=True, max_length=255)
    metadata = mapping()
    spend = money()

    def validate(self, attrs: dict) -> dict:
        budget_fields = BudgetFieldsSerializer._declared_fields
        if attrs.get("budget_id") and any(attrs.get(name) is not None for name in budget_fields):
            raise serializers.ValidationError({"budget_id": "give either budget_id or budget fields "
                                                            "(max_budget, ...), not both"})
        return attrs


class CustomerNewSerializer(CustomerFieldsSerializer):
    user_id = serializers.CharField(max_length=255)


class CustomerUpdateSerializer(CustomerFieldsSerializer):
    user_id = serializers.CharField(max_length=255)


class CustomerInfoQuerySerializer(serializers.Serializer):
    end_user_id = serializers.CharField(max_length=255)


class CustomerIdsSerializer(serializers.Serializer):
    """/customer/delete, /customer/block, /customer/unblock."""


    user_ids = serializers.ListField(child=serializers.CharField(max_length=255), allow_empty=False)


def customer_as_dict(end_user: EndUser) -> dict:
    """LiteLLM's LiteLLM_EndUserTable row with its litellm_budget_table."""
    return {
        "user_id": end_user.user_id, "alias": end_user.alias, "spend": float(end_user.spend),
        "allowed_model_region": end_user.allowed_model_region, "default_model": end_user.default_model,
        "budget_id": end_user.budget_id,
        "litellm_budget_table": budget_as_dict(end_user.budget) if end_user.budget else None,
        "blocked": end_user.blocked, "metadata": end_user.metadata,
        "created_at": end_user.created_at.isoformat() if end_user.created_at else None,
        "updated_at": end_user.updated_at.isoformat() if end_user.updated_at else None,
    }
