"""Validation of /key/* bodies and the shape of a key in answers (LiteLLM's)."""
from __future__ import annotations

from rest_framework import serializers

from keys.models import VirtualKey
from keys.serializers.fields import DurationField, as_float, limit, mapping, money, string_list


class KeyFieldsSerializer(serializers.Serializer):
    key_alias = serializers.CharField(required=False, allow_null=True, max_length=255)
    duration = DurationField(required=False, allow_null=True)
    models = string_list()
    aliases = mapping()
    max_budget = money()
    soft_budget = money()
    spend = money()
    budget_duration = DurationField(required=False, allow_null=True)
    rpm_limit = limit()
    tpm_limit = limit()
    max_parallel_requests = limit()
    model_max_budget = mapping()
    model_rpm_limit = mapping()
    model_tpm_limit = mapping()
    metadata = mapping()
    tags = string_list()
    permissions = mapping()
    allowed_cache_controls = string_list()
    allowed_routes = string_list()
    key_type = serializers.CharField(required=False, max_length=32)
    blocked = serializers.BooleanField(required=False)
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    team_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    budget_id = serializers.CharField(required=False, allow_null=True, max_length=255)

    def validate(self, attrs: dict) -> dict:
        for name in ("model_rpm_limit", "model_tpm_limit"):
            for model, value in (attrs.get(name) or {}).items():
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise serializers.ValidationError({name: f"{model}: must be a whole number, 0 or more"})
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
