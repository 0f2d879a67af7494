"""Field types shared by the management serializers.

Every number a client sends is checked against the column it lands in, so a
value the database cannot hold is a 422 naming the field, never a 500.
"""
from __future__ import annotations

from rest_framework import serializers

from keys.durations import Duration, InvalidDuration

# Column ranges: rpm_limit and tpm_limit are 64-bit, max_parallel_requests 32-bit (keys/models.py).
BIG_INT_MAX = 2**63 - 1
INT_MAX = 2**31 - 1
# Page numbers are bounded so that (page - 1) * size stays a valid SQL OFFSET.
PAGE_MAX = 10**9


class DurationField(serializers.CharField):
    """LiteLLM's "30s" / "1h" / "30d" / "1mo" durations (budget_duration is a 16-character column)."""

    def __init__(self, **options) -> None:
        options.setdefault("max_length", 16)
        super().__init__(**options)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            Duration.parse(value)
        except InvalidDuration as exc:
            raise serializers.ValidationError(str(exc)) from None
        return value


def money(**options) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=18, decimal_places=8, min_value=0, required=False,
                                    allow_null=True, coerce_to_string=False, **options)


def limit(maximum: int = BIG_INT_MAX) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=maximum, required=False, allow_null=True)


def parallel_limit() -> serializers.IntegerField:
    """max_parallel_requests: a 32-bit column."""
    return limit(INT_MAX)


def page_number(default: int = 1) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=PAGE_MAX, default=default)


def string_list() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False)


def mapping() -> serializers.DictField:
    return serializers.DictField(required=False)


def string_mapping() -> serializers.DictField:
    """aliases / model_aliases: {name asked for: model group}."""
    return serializers.DictField(child=serializers.CharField(max_length=255), required=False)


def limits_by_model() -> serializers.DictField:
    """model_rpm_limit / model_tpm_limit: {model group: a whole number, 0 or more}."""
    return serializers.DictField(child=serializers.IntegerField(min_value=0, max_value=BIG_INT_MAX), required=False)


def as_float(value) -> float | None:
    """Money goes out as a JSON number, as LiteLLM sends it."""
    return float(value) if value is not None else None


def as_iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None
