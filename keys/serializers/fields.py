"""Field types shared by the management serializers."""
from __future__ import annotations

from rest_framework import serializers

from keys.durations import Duration, InvalidDuration


class DurationField(serializers.CharField):
    """LiteLLM's "30s" / "1h" / "30d" / "1mo" durations."""

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


def limit() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, required=False, allow_null=True)


def string_list() -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False)


def mapping() -> serializers.DictField:
    return serializers.DictField(required=False)


def as_float(value) -> float | None:
    """Money goes out as a JSON number, as LiteLLM sends it."""
    return float(value) if value is not None else None


def as_iso(moment) -> str | None:
    return moment.isoformat() if moment is not None else None
