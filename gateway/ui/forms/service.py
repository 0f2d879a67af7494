"""The bridge from a /ui form to the management API: the same serializer
validates the typed values, the same services write them, and any refusal is
shown on the form next to the field it names."""
from __future__ import annotations

from decimal import Decimal
from typing import Callable, TypeVar

from django import forms
from rest_framework import serializers

from gateway.errors import GatewayError, first_problem

Result = TypeVar("Result")


class Refused(Exception):
    """A value or a permission the API would refuse, with the field it concerns."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def validated(serializer_class: type[serializers.Serializer], data: dict) -> dict:
    """Run the API's serializer on the form's values; Refused names the field."""
    serializer = serializer_class(data=data)
    try:
        is_valid = serializer.is_valid()
    except GatewayError as exc:  # validate() raises BadRequest for some rules
        raise Refused(exc.param, exc.message) from None
    if not is_valid:
        field, problem = first_problem(serializer.errors)
        raise Refused(field, problem)
    return dict(serializer.validated_data)


def attempt(form: forms.Form, work: Callable[[], Result]) -> Result | None:
    """Run `work`; a refusal from a serializer, a permission check or a service
    becomes an error on the form (on its field when the form has it)."""
    try:
        return work()
    except Refused as exc:
        field, message = exc.field, exc.message
    except GatewayError as exc:
        field, message = exc.param, exc.message
    field = field.split(".")[0] if field else None
    if field in form.fields:
        form.add_error(field, message.removeprefix(f"{field}: "))  # the page names the field itself
    else:
        form.add_error(None, f"{field}: {message}" if field and not message.startswith(field) else message)
    return None


def typed_values(form: forms.Form, *, keep_empty: bool) -> dict:
    """The form's values as the API takes them: empty inputs left out on create
    (the API's defaults apply) or sent as null on edit (the value is cleared)."""
    values = {}
    for name, value in form.cleaned_data.items():
        if value in ("", None, []):
            if keep_empty:
                values[name] = None
            continue
        values[name] = value
    return values


def shown(value) -> str:
    """A stored value as the form shows it: money without trailing zeros, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return value


def comma_list(text: str) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]
