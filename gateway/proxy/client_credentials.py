"""Credentials a client sends in the body (`api_base`/`base_url`, `api_key`,
`extra_headers`...), accepted only with general_settings.allow_client_side_credentials.

A client `api_base` is the client's own server: it must come with the client's
own `api_key`, and the deployment's key, headers, organization and extra body
are never sent there (routing/providers/base.py `is_client_destination`). Its
host must not resolve to a loopback, private, link-local or otherwise
non-public address (the gateway would become a way into its own network: Redis,
the database, cloud metadata), unless listed in `user_url_allowed_hosts`, as
LiteLLM's `user_url_validation` does.

Known limit: the name is resolved here, and again by the HTTP client when the
call connects; a DNS name made to answer with a public address the first time
and an internal one the second (DNS rebinding) gets through. Addresses written
as IPs, and names whose DNS the attacker does not control, are fully covered.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gateway.errors import BadRequest

# Fields that would point the gateway at another server or credential (SSRF).
CLIENT_CREDENTIAL_FIELDS = ("api_base", "base_url", "api_key", "api_version", "extra_headers", "headers",
                            "azure_ad_token", "custom_llm_provider")
RESOLVE_TIMEOUT_SECONDS = 5.0
ALLOW_LIST = "general_settings.user_url_allowed_hosts"


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """Where a client api_base may point: LiteLLM's user_url_validation (on by
    default) and user_url_allowed_hosts (hosts as written in the URL, with the
    port when the URL has one)."""

    is_validated: bool = True
    allowed: frozenset[str] = frozenset()


def take(body: dict, is_allowed: bool) -> dict:
    """Remove the credential fields from the body and return them checked;
    400 naming the field when they are not allowed or not well formed."""
    present = [name for name in CLIENT_CREDENTIAL_FIELDS if name in body]
    if not present:
        return {}
    if not is_allowed:
        name = present[0]
        raise BadRequest(f"{name} is not allowed in the request: the gateway decides which provider and "
                         "credentials serve a model. An admin can allow it with "
                         "general_settings.allow_client_side_credentials.", param=name)
    credentials = {name: body.pop(name) for name in present}
    base_field = "api_base" if "api_base" in credentials else "base_url"
    if "base_url" in credentials:
        credentials.setdefault("api_base", credentials.pop("base_url"))
    if "api_base" in credentials:
        _check_url(credentials["api_base"], base_field)
        if "api_key" not in credentials:
            raise BadRequest(f"{base_field} needs the client's own api_key in the same request: the gateway never "
                             f"sends a deployment's key to a server the client names", param="api_key")
    if "api_key" in credentials:
        _check_header_value(credentials["api_key"], "api_key")
    if "extra_headers" in credentials:
        headers = credentials["extra_headers"]
        if not isinstance(headers, dict):
            raise BadRequest("extra_headers must be an object of header names to string values",
                             param="extra_headers")
        for name, value in headers.items():
            _check_header_value(name, "extra_headers")
            _check_header_value(value, "extra_headers")
    return credentials


def _check_url(value: Any, field: str) -> None:
    problem = f"{field} must be an http:// or https:// URL with a host"
    if not isinstance(value, str):
        raise BadRequest(problem, param=field)
    try:
        parts = urlsplit(value)
        parts.port  # raises for a port that is not a number in range
    except ValueError:
        raise BadRequest(problem, param=field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or _has_control_characters(value):
        raise BadRequest(problem, param=field)


def _check_header_value(value: Any, field: str) -> None:
    if not isinstance(value, str) or not value.strip() or _has_control_characters(value):
        raise BadRequest(f"{field} must hold non-empty strings without line breaks or control characters",
                         param=field)


def _has_control_characters(text: str) -> bool:
    return any(ord(character) < 32 or ord(character) == 127 for character in text)


async def check_destination(api_base: str, policy: HostPolicy) -> None:
    """400 unless the client's api_base is a public host or an allowed one. No
    connection is opened: the name is only resolved."""
    if not policy.is_validated:
        return
    parts = urlsplit(api_base)
    host = parts.hostname or ""
    as_written = parts.netloc.rpartition("@")[2].lower()
    names = {host, as_written, f"[{host}]"}
    if names & policy.allowed:
        return
    addresses = await _addresses(host, parts.port or (443 if parts.scheme == "https" else 80))
    blocked = [address for address in addresses if not _is_public(address)]
    if not addresses or blocked:
        found = f"resolves to {', '.join(blocked)}, not a public address" if blocked else "could not be resolved"
        raise BadRequest(f"api_base: the host {as_written} {found}. An admin can allow it with {ALLOW_LIST} "
                         "(the host as written in the URL, with its port if it has one).", param="api_base")


async def _addresses(host: str, port: int) -> list[str]:
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError, UnicodeError):
        return []
    return list(dict.fromkeys(info[4][0] for info in found))


def _is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
