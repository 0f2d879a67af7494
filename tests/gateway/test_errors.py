"""gateway/errors.py: every failure rendered as OpenAI-shaped JSON,
{"error": {"message", "type", "param", "code"}} with code the status as a string."""
from __future__ import annotations

import json

import pytest
from django.core import exceptions as django_exceptions
from django.http import Http404
from rest_framework import exceptions as drf_exceptions

from gateway.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    GatewayError,
    NotFound,
    PermissionDenied,
    ProviderError,
    RateLimited,
    RequestTooLarge,
    UpstreamTimeout,
    error_response,
    render_exception,
)


def body(response) -> dict:
    assert response["content-type"] == "application/json"
    return json.loads(response.content)


@pytest.mark.parametrize(
    ("error", "status", "error_type"),
    [
        (GatewayError("boom"), 500, "internal_server_error"),
        (BadRequest("bad"), 400, "invalid_request_error"),
        (AuthenticationFailed("no key"), 401, "auth_error"),
        (PermissionDenied("not yours"), 403, "permission_error"),
        (NotFound("where"), 404, "invalid_request_error"),
        (Conflict("exists"), 409, "invalid_request_error"),
        (RequestTooLarge("too big"), 413, "invalid_request_error"),
        (RateLimited("slow down"), 429, "rate_limit_error"),
        (ProviderError("upstream 502", status=502, deployment_id="dep-1"), 502, "internal_server_error"),
        (ProviderError("upstream 503", status=503, deployment_id="dep-1"), 503, "internal_server_error"),
        (ProviderError("upstream 429", status=429, deployment_id="dep-1"), 429, "rate_limit_error"),
        (ProviderError("upstream 422", status=422, deployment_id="dep-1"), 422, "invalid_request_error"),
        (UpstreamTimeout("litellm.Timeout: no answer", deployment_id="dep-1"), 504, "timeout_error"),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, GatewayError) else None,
)
def test_each_gateway_error_renders_the_openai_envelope_with_its_status_and_type(error, status, error_type):
    response = render_exception(error)

    assert response.status_code == status
    assert body(response) == {"error": {"message": error.message, "type": error_type, "param": None,
                                        "code": str(status)}}


def test_every_gateway_error_subclass_of_this_module_is_covered_above():
    def subclasses(cls: type) -> set[type]:
        return {sub for direct in cls.__subclasses__() for sub in {direct, *subclasses(direct)}}

    # Subclasses other apps define (routing.router.NoDeploymentAvailable...) are tested with their app.
    assert {cls.__name__ for cls in subclasses(GatewayError) if cls.__module__ == "gateway.errors"} == {
        "BadRequest", "AuthenticationFailed", "PermissionDenied", "NotFound", "Conflict", "RequestTooLarge",
        "RateLimited",
        "ProviderError", "UpstreamTimeout"}


def test_param_type_and_code_given_by_the_raiser_are_rendered_as_given():
    error = AuthenticationFailed("Authentication Error - Expired Key.", param="model", error_type="expired_key",
                                 code="expired", status=400)

    assert body(render_exception(error)) == {"error": {
        "message": "Authentication Error - Expired Key.", "type": "expired_key", "param": "model",
        "code": "expired"}}
    assert render_exception(error).status_code == 400


def test_a_status_given_to_a_subclass_sets_the_code_too():
    response = render_exception(BadRequest("Budget has been exceeded!", status=429, error_type="budget_exceeded"))

    assert response.status_code == 429
    assert body(response)["error"]["code"] == "429"
    assert body(response)["error"]["type"] == "budget_exceeded"


def test_an_error_carries_its_headers_onto_the_response():
    response = error_response(RateLimited("Rate limit exceeded", headers={"retry-after": "60",
                                                                          "rate_limit_type": "requests"}))

    assert response["retry-after"] == "60"
    assert response["rate_limit_type"] == "requests"
    assert int(response["content-length"]) == len(response.content)


def test_a_provider_errors_retry_after_becomes_a_header():
    error = ProviderError("upstream rate limited", status=429, deployment_id="dep-1", retry_after="7")

    response = render_exception(error)

    assert response["retry-after"] == "7"
    assert (error.deployment_id, error.retry_after) == ("dep-1", "7")


def test_a_provider_error_without_retry_after_sends_no_such_header():
    response = render_exception(ProviderError("upstream 500", status=500, deployment_id="dep-1"))

    assert not response.has_header("retry-after")


def test_an_unexpected_exception_is_a_generic_500_that_does_not_leak_its_text():
    secret = "password=hunter2 at db.internal:5432"

    response = render_exception(RuntimeError(f"connection failed: {secret}"))

    assert response.status_code == 500
    error = body(response)["error"]
    assert error == {"message": "Internal server error", "type": "internal_server_error", "param": None,
                     "code": "500"}
    assert b"hunter2" not in response.content
    assert b"RuntimeError" not in response.content


def test_a_drf_exception_keeps_its_status_and_message():
    response = render_exception(drf_exceptions.ParseError("JSON parse error - Expecting value"))

    assert response.status_code == 400
    assert body(response)["error"] == {"message": "JSON parse error - Expecting value",
                                       "type": "invalid_request_error", "param": None, "code": "400"}


def test_a_drf_validation_error_names_the_field_in_the_message():
    response = render_exception(drf_exceptions.ValidationError({"max_budget": ["A valid number is required."]}))

    assert response.status_code == 422  # as LiteLLM's request validation answers
    assert body(response)["error"]["param"] == "max_budget"
    assert "max_budget" in body(response)["error"]["message"]
    assert "A valid number is required." in body(response)["error"]["message"]


@pytest.mark.parametrize(
    ("exception", "status"),
    [
        (Http404("No VirtualKey matches the given query."), 404),
        (django_exceptions.PermissionDenied(), 403),
        (django_exceptions.BadRequest("bad"), 400),
    ],
    ids=["Http404", "PermissionDenied", "BadRequest"],
)
def test_djangos_own_http_exceptions_keep_their_status(exception, status):
    response = render_exception(exception)

    assert response.status_code == status
    assert body(response)["error"]["code"] == str(status)


def test_a_404_without_a_type_of_its_own_is_an_invalid_request_error_as_the_spec_says():
    response = render_exception(GatewayError("Route not found: GET /v1/nothing", status=404))

    assert body(response)["error"]["type"] == "invalid_request_error"
