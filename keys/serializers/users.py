"""Validation of /user/* bodies and the shape of a user in answers (LiteLLM's)."""
from __future__ import annotations

from rest_framework import serializers

from keys.models import User
from keys.serializers.fields import (DurationField, as_float, as_iso, limit, mapping, money, page_number,
                                     parallel_limit, string_list)


class UserFieldsSerializer(serializers.Serializer):
    user_email = serializers.CharField(required=False, allow_null=True, max_length=255)
    user_alias = serializers.CharField(required=False, allow_null=True, max_length=255)
    user_role = serializers.ChoiceField(choices=User.ROLES, required=False)
    models = string_list()
    max_budget = money()
    soft_budget = money()
    spend = money()
    budget_duration = DurationField(required=False, allow_null=True)
    tpm_limit = limit()
    rpm_limit = limit()
    max_parallel_requests = parallel_limit()
    metadata = mapping()


class UserNewSerializer(UserFieldsSerializer):
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    teams = string_list()
    auto_create_key = serializers.BooleanField(default=True)
    # For the auto-created key, as LiteLLM's /user/new takes them.
    duration = DurationField(required=False, allow_null=True)
    key_alias = serializers.CharField(required=False, allow_null=True, max_length=255)


class UserUpdateSerializer(UserFieldsSerializer):
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("user_id") and not attrs.get("user_email"):
            raise serializers.ValidationError({"user_id": "give user_id or user_email"})
        return attrs


class UserDeleteSerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.CharField(max_length=255), allow_empty=False)


class UserListQuerySerializer(serializers.Serializer):
    page = page_number()
    page_size = serializers.IntegerField(min_value=1, max_value=100, default=25)
    role = serializers.ChoiceField(choices=User.ROLES, required=False)
    user_ids = serializers.CharField(required=False)  # comma-separated, as LiteLLM takes them
    user_email = serializers.CharField(required=False)
    team = serializers.CharField(required=False)




def user_as_dict(user: User) -> dict:
    """LiteLLM's LiteLLM_UserTable row; `teams` comes from the memberships (prefetch "memberships")."""
    return {
        "user_id": user.user_id, "user_email": user.user_email, "user_alias": user.user_alias,
        "user_role": user.user_role, "teams": sorted(m.team_id for m in user.memberships.all()),
        "models": user.models, "spend": float(user.spend), "max_budget": as_float(user.max_budget),
        "soft_budget": as_float(user.soft_budget), "budget_duration": user.budget_duration,
        "budget_reset_at": as_iso(user.budget_reset_at), "tpm_limit": user.tpm_limit, "rpm_limit": user.rpm_limit,
        "max_parallel_requests": user.max_parallel_requests, "metadata": user.metadata,
        "created_by": user.created_by, "created_at": as_iso(user.created_at), "updated_at": as_iso(user.updated_at),
    }
