"""From an HTTP request to a ProxyCall: the key headers, then the JSON body.

Every rejection is a 400 (or 401/413) that names the field at fault.
"""
from __future__ import annotations

import math
import re
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from gateway.errors import BadRequest, RequestTooLarge
from gateway.proxy import client_credentials
from gateway.proxy.runtime import Runtime
from gateway.types import CallType, ProxyCall
from keys import headers

# Fields the gateway acts on itself; they are not sent to the provider.
GATEWAY_FIELDS = ("metadata", "tags", "cache", "mock_response", "fallbacks", "num_retries", "timeout",
                  "disable_fallbacks", "context_window_fallback_dict", "mock_testing_fallbacks",
                  "litellm_metadata", "proxy_server_request", "guardrails", "caching", "no-log")
MESSAGE_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


def read_api_key(request: HttpRequest, runtime: Runtime) -> str | None:
    return headers.read_api_key(request.META, runtime.key_header_meta)


def parse_call(request: HttpRequest, runtime: Runtime, call_type: CallType, route: str, request_id: str,
               api_key: str | None, path_model: str | None = None, started_at: float = 0.0) -> ProxyCall:
    body = read_json_body(request, runtime.max_body_bytes)
    credentials = client_credentials.take(body, runtime.config.general_settings.allow_client_side_credentials)
    gateway_fields = {name: body.pop(name) for name in GATEWAY_FIELDS if name in body}

    model = runtime.config.general_settings.completion_model or path_model or body.get("model")
    if model is None or model == "":
        raise BadRequest(f"{route}: model is required", param="model")
    if not isinstance(model, str):
        raise BadRequest(f"{route}: model must be a string", param="model")
    body["model"] = model
    _check_fields(body, call_type)

    previous_response_id = body.pop("previous_response_id", None) if call_type is CallType.RESPONSES else None
    is_stream = body.get("stream") is True and call_type.is_streamable
    stream_options = body.get("stream_options") or {}
    return ProxyCall(
        call_type=call_type,
        route=route,
        model=model,
        body=body,
        request_id=request_id,
        api_key=api_key,
        is_stream=is_stream,
        wants_usage_chunk=is_stream and stream_options.get("include_usage") is True,
        mock_response=_mock_response(gateway_fields.get("mock_response")),
        timeout=_timeout(gateway_fields.get("timeout"), request.META.get("HTTP_X_LITELLM_TIMEOUT")),
        end_user=_end_user(request, body, gateway_fields.get("metadata")),
        tags=_tags(gateway_fields, request.META.get("HTTP_X_LITELLM_TAGS")),
        metadata=_spend_metadata(gateway_fields.get("metadata"), request.META),
        started_at=started_at,
        num_retries=_num_retries(gateway_fields.get("num_retries"), request.META.get("HTTP_X_LITELLM_NUM_RETRIES")),
        fallbacks=_fallbacks(gateway_fields.get("fallbacks"), gateway_fields.get("disable_fallbacks")),
        previous_response_id=previous_response_id,
        client_credentials=credentials,
    )


def read_json_body(request: HttpRequest, max_bytes: int) -> dict:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.startswith("multipart/"):
        raise BadRequest(f"Content-Type {content_type.split(';')[0]} is not accepted here: send a JSON body "
                         "with Content-Type: application/json")
    length = request.META.get("CONTENT_LENGTH")
    if length and length.isdigit() and int(length) > max_bytes:
        raise _too_large(max_bytes)
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _too_large(max_bytes) from None
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    if not raw:
        raise BadRequest("Invalid JSON payload: the request body is empty")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Invalid JSON payload: {exc}") from None
    if not isinstance(body, dict):
        raise BadRequest("Invalid JSON payload: the body must be a JSON object")
    return body


def _too_large(max_bytes: int) -> RequestTooLarge:
    return RequestTooLarge(f"Request body too large: the limit is {max_bytes // (1024 * 1024)} MB "
                           "(general_settings.max_request_size_mb)")


def _check_fields(body: dict, call_type: CallType) -> None:
    if call_type is CallType.CHAT:
        _check_messages(body.get("messages"))
    elif call_type is CallType.COMPLETION:
        prompt = body.get("prompt")
        if prompt is None:
            raise BadRequest("prompt is required", param="prompt")
        if not isinstance(prompt, (str, list)):
            raise BadRequest("prompt must be a string or a list", param="prompt")
    elif call_type is CallType.RESPONSES:
        _check_response_input(body)
    else:
        value = body.get("input")
        if value is None:
            raise BadRequest("input is required", param="input")
        if not isinstance(value, (str, list)) or value == "" or value == []:
            raise BadRequest("input must be a non-empty string or list", param="input")
    for name, check in FIELD_CHECKS.items():
        if name in body and body[name] is not None:
            problem = check(body[name])
            if problem:
                raise BadRequest(f"{name} {problem}", param=name)


def _check_messages(messages: Any) -> None:
    if messages is None:
        raise BadRequest("messages is required", param="messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("messages must be a non-empty list of message objects", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise BadRequest(f"messages[{index}] must be an object with role and content", param=f"messages[{index}]")
        role = message.get("role")
        if role not in MESSAGE_ROLES:
            raise BadRequest(f"messages[{index}].role must be one of {', '.join(sorted(MESSAGE_ROLES))}; "
                             f"got {role!r}", param=f"messages[{index}].role")


def _check_response_input(body: dict) -> None:
    if body.get("background") is True:
        # A background response is polled later by id from the provider; the
        # gateway could neither route the poll nor bill the answer.
        raise BadRequest("background: true is not supported by the gateway; send the request without it "
                         "(stream: true gives early output)", param="background")
    value = body.get("input")
    if value is None:
        if body.get("previous_response_id") is None:
            raise BadRequest("input is required", param="input")
        return
    if not isinstance(value, (str, list)):
        raise BadRequest("input must be a string or a list of input items", param="input")
    for index, item in enumerate(value if isinstance(value, list) else ()):
        if not isinstance(item, dict):
            raise BadRequest(f"input[{index}] must be an object (a message or another input item)",
                             param=f"input[{index}]")
        if "type" not in item and "role" not in item:
            raise BadRequest(f"input[{index}] must have a type or a role", param=f"input[{index}]")


def _number(value: Any) -> str | None:
    return None if isinstance(value, (int, float)) and not isinstance(value, bool) else "must be a number"


def _integer(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) else "must be an integer"


def _boolean(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "must be an object"


def _list(value: Any) -> str | None:
    return None if isinstance(value, list) else "must be a list"


def _string(value: Any) -> str | None:
    return None if isinstance(value, str) else "must be a string"


def _stop(value: Any) -> str | None:
    return None if isinstance(value, (str, list)) else "must be a string or a list of strings"


# Upper bounds that no real request reaches, so a budget reservation
# (limit x n x price) stays a sane integer of nano-dollars.
MAX_TOKENS = 2**31 - 1
MAX_CHOICES = 128  # OpenAI's own limit for `n`


def _count(maximum: int):
    def check(value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= maximum:
            return None
        return f"must be a whole number from 1 to {maximum}"

    return check


FIELD_CHECKS = {
    "stream": _boolean, "stream_options": _object, "temperature": _number, "top_p": _number,
    "presence_penalty": _number, "frequency_penalty": _number, "max_tokens": _count(MAX_TOKENS),
    "max_completion_tokens": _count(MAX_TOKENS), "n": _count(MAX_CHOICES), "seed": _integer, "stop": _stop,
    "tools": _list, "user": _string, "logit_bias": _object, "response_format": _object, "dimensions": _integer,
    "encoding_format": _string,
    # Responses API
    "instructions": _string, "max_output_tokens": _count(MAX_TOKENS), "text": _object, "reasoning": _object,
    "previous_response_id": _string, "store": _boolean, "include": _list, "background": _boolean,
}


def _mock_response(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest("mock_response must be a string", param="mock_response")
    return value


# A client may wait long, never for ever: a day is far beyond any provider call.
MAX_CLIENT_TIMEOUT_SECONDS = 86400.0
_WHOLE_NUMBER = re.compile(r"\+?\d{1,18}")


def _from_body_or_header(body_value: Any, header_value: str | None, name: str, header: str) -> tuple[Any, str]:
    """The body's value wins over the header's; the field named in errors is the one that was read."""
    return (body_value, name) if body_value is not None else (header_value, header)


def _timeout(body_value: Any, header_value: str | None) -> float | None:
    value, field = _from_body_or_header(body_value, header_value, "timeout", "x-litellm-timeout")
    if value is None:
        return None
    seconds = _finite_number(value)
    if seconds is None or not 0 < seconds <= MAX_CLIENT_TIMEOUT_SECONDS:
        raise BadRequest(f"{field} must be a number of seconds greater than 0 and at most "
                         f"{MAX_CLIENT_TIMEOUT_SECONDS:g}; got {_shown(value)}", param=field)
    return seconds


def _finite_number(value: Any) -> float | None:
    """A finite number, or text that reads as one; None for anything else (nan, inf, true, "soon")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _num_retries(body_value: Any, header_value: str | None) -> int | None:
    """How many retries the client asks for: a whole number, 0 or more (the
    router never grants more than the configured num_retries)."""
    value, field = _from_body_or_header(body_value, header_value, "num_retries", "x-litellm-num-retries")
    if value is None:
        return None
    if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise BadRequest(f"{field} must be a whole number, 0 or more; got {_shown(value)}", param=field)


def _fallbacks(value: Any, disable: Any) -> tuple[str, ...] | None:
    if disable is True:
        return ()
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest("fallbacks must be a list of model names", param="fallbacks")
    return tuple(value)


END_USER_HEADERS = (("HTTP_X_LITELLM_CUSTOMER_ID", "x-litellm-customer-id"),
                    ("HTTP_X_LITELLM_END_USER_ID", "x-litellm-end-user-id"))
MAX_END_USER_ID_LENGTH = 255  # keys.models.EndUser.user_id


def _end_user(request: HttpRequest, body: dict, metadata: Any) -> str | None:
    """The customer a call is for: headers, then `user`, then `metadata.user_id`.
    Longer than the customer table's ids is a 400: cut short, two customers
    could share one budget."""
    for name, label in END_USER_HEADERS:
        if request.META.get(name):
            return _end_user_id(request.META[name], label)
    user = body.get("user")
    if isinstance(user, str) and user:
        return _end_user_id(user, "user")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        return _end_user_id(metadata["user_id"], "metadata.user_id")
    return None


def _end_user_id(value: str, field: str) -> str:
    if len(value) > MAX_END_USER_ID_LENGTH:
        raise BadRequest(f"{field}: an end-user id is at most {MAX_END_USER_ID_LENGTH} characters, got {len(value)}",
                         param=field)
    return value


METADATA_HEADERS = (("HTTP_X_LITELLM_SPEND_LOGS_METADATA", "x-litellm-spend-logs-metadata"),
                    # Not LiteLLM's, but what teams were told to send from n8n: accepted the same way.
                    ("HTTP_X_LITELLM_METADATA", "x-litellm-metadata"))


def _tags(fields: dict, header: str | None) -> tuple[str, ...]:
    found: list[str] = []
    metadata = fields.get("metadata")
    for source, name in ((fields.get("tags"), "tags"),
                         (metadata.get("tags") if isinstance(metadata, dict) else None, "metadata.tags")):
        if source is None:
            continue
        if not isinstance(source, list) or not all(isinstance(tag, str) for tag in source):
            raise BadRequest(f"{name} must be a list of strings", param=name)
        found += source
    if header:
        found += [tag.strip() for tag in header.split(",") if tag.strip()]
    return tuple(dict.fromkeys(found))


def _spend_metadata(metadata: Any, meta: dict) -> dict:
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest("metadata must be an object", param="metadata")
    merged = dict(metadata or {})
    for meta_name, header in METADATA_HEADERS:
        raw = meta.get(meta_name)
        if not raw:
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadRequest(f"{header} must be a JSON object", param=header) from None
        if not isinstance(value, dict):
            raise BadRequest(f"{header} must be a JSON object", param=header)
        merged.update(value)
    # The gateway's own attribution keys are never taken from the client.
    return {name: value for name, value in merged.items() if not str(name).startswith("user_api_key")}
