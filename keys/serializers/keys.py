"""Validation of /key/* bodies and the shape of a key in answers (LiteLLM's)."""
from __future__ import annotations

from rest_framework import serializers

from keys.models import VirtualKey
from gateway.errors import BadRequest
from keys.routes import KEY_TYPE_ROUTES, KEY_TYPES, restriction_problem
from keys.serializers.fields import (DurationField, as_float, limit, limits_by_model, mapping, money, page_number,
                                     parallel_limit, string_list, string_mapping)

# Restrictions LiteLLM keys can carry that this gateway does not enforce: refused, never stored and ignored.
NOT_ENFORCED = {
    "model_max_budget": "per-model budgets of a key are not enforced yet; use max_budget, or a key per model",
    "guardrails": "guardrails are not run yet",
    "enforced_params": "enforced request parameters are not checked yet",
    "object_permission": "MCP server and vector store permissions are not enforced yet",
    "allowed_passthrough_routes": "pass-through routes are not served",
    "allowed_vector_store_indexes": "vector stores are not served",
}


class KeyFieldsSerializer(serializers.Serializer):
    key_alias = serializers.CharField(required=False, allow_null=True, max_length=255)
    duration = DurationField(required=False, allow_null=True)
    models = string_list()
    aliases = string_mapping()
    max_budget = money()
    soft_budget = money()
    spend = money()
    budget_duration = DurationField(required=False, allow_null=True)
    rpm_limit = limit()
    tpm_limit = limit()
    max_parallel_requests = parallel_limit()
    model_max_budget = mapping()
    model_rpm_limit = limits_by_model()
    model_tpm_limit = limits_by_model()
    metadata = mapping()
    tags = string_list()
    permissions = mapping()
    allowed_cache_controls = string_list()
    allowed_routes = string_list()
    key_type = serializers.ChoiceField(choices=KEY_TYPES, required=False)
    blocked = serializers.BooleanField(required=False)
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    team_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    budget_id = serializers.CharField(required=False, allow_null=True, max_length=255)

    def validate(self, attrs: dict) -> dict:
        for name, why in NOT_ENFORCED.items():
            if self.initial_data.get(name):
                raise BadRequest(f"{name}: {why}, so a key cannot carry it", param=name)
        for entry in attrs.get("allowed_routes") or ():
            problem = restriction_problem(entry)
            if problem:
                raise BadRequest(f"allowed_routes: {problem}", param="allowed_routes")
        key_type = attrs.get("key_type")
        if key_type in KEY_TYPE_ROUTES:
            # LiteLLM's key types are sets of allowed routes.
            implied = [KEY_TYPE_ROUTES[key_type]]
            if attrs.get("allowed_routes") and attrs["allowed_routes"] != implied:
                raise BadRequest(f"allowed_routes: key_type {key_type} allows {implied}; give key_type or "
                                 "allowed_routes, not both", param="allowed_routes")
            attrs["allowed_routes"] = implied
        return attrs


class KeyGenerateSerializer(KeyFieldsSerializer):
    key = serializers.CharField(required=False, max_length=255)


class KeyUpdateSerializer(KeyFieldsSerializer):
    key = serializers.CharField(required=False, max_length=255)


class KeyRegenerateSerializer(KeyFieldsSerializer):
    key = serializers.CharField(required=False, max_length=255)
    new_key = serializers.CharField(required=False, max_length=255)


class KeyDeleteSerializer(serializers.Serializer):
    keys = string_list()
    key_aliases = string_list()

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("keys") and not attrs.get("key_aliases"):
            raise serializers.ValidationError({"keys": "give keys or key_aliases"})
        return attrs


class KeyReferenceSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=255)


class KeyListQuerySerializer(serializers.Serializer):
    page = page_number()
    size = serializers.IntegerField(min_value=1, max_value=100, default=10)
    user_id = serializers.CharField(required=False, max_length=255)
    team_id = serializers.CharField(required=False, max_length=255)
    key_alias = serializers.CharField(required=False, max_length=255)
    return_full_object = serializers.BooleanField(default=False)



def key_status(key: VirtualKey, now) -> str:
    if key.blocked:
        return "blocked"
    if key.expires is not None and key.expires <= now:
        return "expired"
    return "active"


def key_as_dict(key: VirtualKey) -> dict:
    """A key row without its hash under `token` (callers add what their route shows)."""
    return {
        "key_name": key.key_name, "key_alias": key.key_alias, "spend": float(key.spend),
        "max_budget": as_float(key.max_budget), "soft_budget": as_float(key.soft_budget),
        "budget_duration": key.budget_duration,
        "budget_reset_at": key.budget_reset_at.isoformat() if key.budget_reset_at else None,
        "expires": key.expires.isoformat() if key.expires else None,
        "models": key.models, "aliases": key.aliases, "user_id": key.user_id, "team_id": key.team_id,
        "budget_id": key.budget_id, "rpm_limit": key.rpm_limit, "tpm_limit": key.tpm_limit,
        "max_parallel_requests": key.max_parallel_requests, "model_max_budget": key.model_max_budget,
        "model_rpm_limit": key.model_rpm_limit, "model_tpm_limit": key.model_tpm_limit, "metadata": key.metadata,
        "tags": key.tags, "permissions": key.permissions, "allowed_cache_controls": key.allowed_cache_controls,
        "allowed_routes": key.allowed_routes, "key_type": key.key_type, "blocked": key.blocked,
        "created_by": key.created_by, "updated_by": key.updated_by,
        "created_at": key.created_at.isoformat() if key.created_at else None,
        "updated_at": key.updated_at.isoformat() if key.updated_at else None,
    }
