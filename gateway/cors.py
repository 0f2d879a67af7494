"""CORS, as LiteLLM's proxy answers it: every origin, method and header allowed
unless the config narrows them (general_settings `cors_allow_origins`,
`cors_allow_methods`, `cors_allow_headers`, `cors_allow_credentials`).

Credentials are allowed by default only when none of the four is set (LiteLLM's
behaviour before these settings existed); a config that names them allows
credentials only when `cors_allow_credentials` says so, and never together with
the `*` origin. Applied at the ASGI edge (gateway/asgi.py), so a preflight is
answered for every route, before any view, body or key is looked at.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson

logger = logging.getLogger("gateway.cors")

SETTINGS = ("cors_allow_origins", "cors_allow_methods", "cors_allow_headers", "cors_allow_credentials")
EVERY_METHOD = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
# Request headers a browser sends without asking (the CORS "safelisted" ones).
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
MAX_AGE_SECONDS = 600
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    origins: frozenset[str] = frozenset({"*"})
    methods: tuple[str, ...] = ("*",)
    headers: frozenset[str] = frozenset({"*"})
    allow_credentials: bool = True

    @property
    def is_any_origin(self) -> bool:
        return "*" in self.origins

    @property
    def is_any_method(self) -> bool:
        return "*" in self.methods

    @property
    def is_any_header(self) -> bool:
        return "*" in self.headers

    def allows_origin(self, origin: str) -> bool:
        return self.is_any_origin or origin in self.origins

    def _origin_headers(self, origin: str, *, explicit: bool) -> Headers:
        """Allow-Origin (`*`, or the origin itself with Vary), plus Allow-Credentials."""
        if self.is_any_origin and not explicit:
            found = [(b"access-control-allow-origin", b"*")]
        else:
            found = [(b"access-control-allow-origin", origin.encode("latin-1")), (b"vary", b"Origin")]
        if self.allow_credentials:
            found.append((b"access-control-allow-credentials", b"true"))
        return found

    def response_headers(self, origin: str, has_cookie: bool) -> Headers:
        """What an ordinary (not preflight) answer to `origin` carries; nothing for
        an origin that is not allowed. A request with cookies gets its origin
        back instead of `*`, which a browser refuses for a credentialed call."""
        if not self.allows_origin(origin):
            return []
        explicit = not self.is_any_origin or has_cookie
        return self._origin_headers(origin, explicit=explicit)

    def preflight(self, origin: str, method: str, requested_headers: str | None) -> tuple[int, Headers, bytes]:
        """Status, headers and body of the answer to a preflight (OPTIONS with
        Access-Control-Request-Method): 200, or 400 naming what is not allowed."""
        problems = []
        if not self.allows_origin(origin):
            problems.append("origin")
        if not self.is_any_method and method.upper() not in self.methods:
            problems.append("method")
        asked = [name.strip().lower() for name in (requested_headers or "").split(",") if name.strip()]
        if not self.is_any_header and any(name not in self.headers | SAFELISTED_HEADERS for name in asked):
            problems.append("headers")
        if problems:
            message = f"Disallowed CORS {', '.join(problems)}"
            body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error",
                                           "param": None, "code": "400"}})
            return 400, [(b"content-type", b"application/json"), (b"vary", b"Origin")], body
        explicit = not self.is_any_origin or self.allow_credentials
        headers = self._origin_headers(origin, explicit=explicit)
        methods = EVERY_METHOD if self.is_any_method else self.methods
        headers.append((b"access-control-allow-methods", ", ".join(methods).encode()))
        headers.append((b"access-control-max-age", str(MAX_AGE_SECONDS).encode()))
        if self.is_any_header:
            if requested_headers:
                headers.append((b"access-control-allow-headers", requested_headers.encode("latin-1")))
        else:
            allowed = ", ".join(sorted(self.headers | SAFELISTED_HEADERS))
            headers.append((b"access-control-allow-headers", allowed.encode()))
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
        return 200, headers, b"OK"


def _names(value: object) -> list[str]:
    """A list of names, or one string of comma-separated names (as an environment
    variable carries them)."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [part.strip() for item in items if isinstance(item, str) for part in item.split(",") if part.strip()]


def policy_from(general_extra: dict) -> CorsPolicy:
    """The policy general_settings ask for (LiteLLM's defaults for what they leave out)."""
    if not any(general_extra.get(name) is not None for name in SETTINGS):
        return CorsPolicy()
    origins = frozenset(_names(general_extra.get("cors_allow_origins")) or ["*"])
    methods = tuple(name.upper() for name in _names(general_extra.get("cors_allow_methods"))) or ("*",)
    headers = frozenset(name.lower() for name in _names(general_extra.get("cors_allow_headers")) or ["*"])
    allow_credentials = general_extra.get("cors_allow_credentials") is True
    if allow_credentials and "*" in origins:
        logger.warning("general_settings.cors_allow_credentials is ignored with the '*' origin: any site could "
                       "make credentialed calls; list the origins instead")
        allow_credentials = False
    return CorsPolicy(origins=origins, methods=methods, headers=headers, allow_credentials=allow_credentials)
