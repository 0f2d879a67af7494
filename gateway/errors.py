"""The GatewayError family and the one renderer that turns any failure into
OpenAI-shaped JSON: {"error": {"message", "type", "param", "code"}}.

`code` is the HTTP status as a string, as LiteLLM sends it. `type` is LiteLLM's
own name where it has one (auth_error, budget_exceeded...), else derived from
the status the way OpenAI's SDKs expect.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping

import orjson
from asgiref.sync import markcoroutinefunction
from django.core.exceptions import BadRequest as DjangoBadRequest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework import exceptions as drf_exceptions

logger = logging.getLogger("gateway.errors")

_TYPE_BY_STATUS = {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
}


def default_error_type(status: int) -> str:
    if status in _TYPE_BY_STATUS:
        return _TYPE_BY_STATUS[status]
    return "internal_server_error" if status >= 500 else "invalid_request_error"


class GatewayError(Exception):
    """A failure the client should see, with the status and fields to show it."""

    status: int = 500
    error_type: str | None = None

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        error_type: str | None = None,
        code: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if status is not None:
            self.status = status
        if error_type is not None:
            self.error_type = error_type
        self.code = code or str(self.status)
        self.headers = dict(headers or {})

    def as_dict(self) -> dict:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type or default_error_type(self.status),
                "param": self.param,
                "code": self.code,
            }
        }


class BadRequest(GatewayError):
    status = 400
    error_type = "invalid_request_error"


class AuthenticationFailed(GatewayError):
    status = 401
    error_type = "auth_error"


class PermissionDenied(GatewayError):
    status = 403


class NotFound(GatewayError):
    status = 404


class Conflict(GatewayError):
    status = 409


class RequestTooLarge(GatewayError):
    status = 413
    error_type = "invalid_request_error"


class RateLimited(GatewayError):
    status = 429


class ProviderError(GatewayError):
    """An upstream failure, named by deployment and never by its credentials."""

    def __init__(self, message: str, *, status: int, deployment_id: str, retry_after: str | None = None,
                 error_type: str | None = None) -> None:
        headers = {"retry-after": retry_after} if retry_after else None
        super().__init__(message, status=status, error_type=error_type, headers=headers)
        self.deployment_id = deployment_id
        self.retry_after = retry_after


class UpstreamTimeout(ProviderError):
    """The provider did not answer in time: a gateway timeout (504), which
    OpenAI's SDKs treat as retryable."""

    def __init__(self, message: str, *, deployment_id: str) -> None:
        super().__init__(message, status=504, deployment_id=deployment_id, error_type="timeout_error")


def error_response(error: GatewayError) -> HttpResponse:
    content = orjson.dumps(error.as_dict())
    response = HttpResponse(content, status=error.status, content_type="application/json")
    response["content-length"] = str(len(content))
    for name, value in error.headers.items():
        response[name] = value
    return response


def render_exception(exc: BaseException) -> HttpResponse:
    """Map any exception to a JSON error response; unknown ones are logged, never shown."""
    if isinstance(exc, GatewayError):
        return error_response(exc)
    if isinstance(exc, Http404):
        return error_response(NotFound(str(exc) or "Not found"))
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(PermissionDenied(str(exc) or "Permission denied"))
    if isinstance(exc, (DjangoBadRequest, SuspiciousOperation)):
        return error_response(BadRequest(str(exc) or "Bad request"))
    if isinstance(exc, drf_exceptions.ValidationError):
        field, problem = first_problem(exc.detail)
        # 422 like LiteLLM's FastAPI validation, naming the field.
        return error_response(GatewayError(f"{field}: {problem}" if field else problem, status=422, param=field,
                                           error_type="invalid_request_error"))
    if isinstance(exc, drf_exceptions.APIException):
        status = exc.status_code
        detail = exc.detail if isinstance(exc.detail, str) else orjson.dumps(exc.detail).decode()
        return error_response(GatewayError(str(detail), status=status))
    logger.error("unhandled error", exc_info=exc)
    return error_response(GatewayError("Internal server error", status=500))


def first_problem(detail, path: str = "") -> tuple[str | None, str]:
    """The first field error of a DRF ValidationError, as ("field.sub", "message")."""
    if isinstance(detail, dict):
        for name, inner in detail.items():
            label = name if name != "non_field_errors" else ""
            return first_problem(inner, f"{path}.{label}".strip(".") if label else path)
    if isinstance(detail, list) and detail:
        return first_problem(detail[0], path)
    return (path or None), str(detail)


def drf_exception_handler(exc: Exception, context: dict) -> HttpResponse:
    return render_exception(exc)


class ErrorMiddleware:
    """Renders exceptions raised outside DRF views (plain Django views, URL
    resolution) as JSON. Async-only so the proxy path pays no thread hop."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponse:
        return await self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse:
        return render_exception(exception)


# Django's handler400/403/404/500: JSON even with DEBUG off and outside any view.
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(BadRequest("Bad request: the body or headers could not be read"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(PermissionDenied("Permission denied"))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(NotFound(f"Route not found: {request.method} {request.path}"))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(GatewayError("Internal server error", status=500))
