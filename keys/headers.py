"""Where a request carries its key, in LiteLLM's order (spec section b)."""
from __future__ import annotations

from gateway.errors import AuthenticationFailed

DEFAULT_KEY_HEADER_META = "HTTP_X_LITELLM_API_KEY"
KEY_HEADERS_AFTER_AUTHORIZATION = ("HTTP_API_KEY", "HTTP_X_API_KEY", "HTTP_X_GOOG_API_KEY",
                                   "HTTP_OCP_APIM_SUBSCRIPTION_KEY")


def read_api_key(meta: dict, key_header_meta: str = DEFAULT_KEY_HEADER_META) -> str | None:
    """The key from request.META: the LiteLLM header, then Authorization, then the others."""
    value = meta.get(key_header_meta)
    if value:
        return _without_scheme(value)
    authorization = meta.get("HTTP_AUTHORIZATION")
    if authorization:
        if "Credential=Bearer " in authorization:  # AWS SigV4-style clients
            return authorization.split("Credential=Bearer ", 1)[1].split("/", 1)[0].strip() or None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() not in ("bearer", "basic"):
            raise AuthenticationFailed(
                "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix."
            )
        return token.strip() or None
    for name in KEY_HEADERS_AFTER_AUTHORIZATION:
        value = meta.get(name)
        if value:
            return value.strip()
    return None


def _without_scheme(value: str) -> str:
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token else value.strip()
