"""Hot-path authentication: the raw key from the request to a KeyContext.

The master key is compared in constant time; a virtual key is looked up by its
hash in the key cache (no database query after warm-up) and must exist, not be
blocked (nor its team), not be expired, and be allowed the route it calls.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime, timezone

from gateway.errors import AuthenticationFailed
from gateway.types import KeyContext
from keys import cache
from keys.routes import check_route

ADMIN = KeyContext(is_admin=True, key_name="master_key")
# No master key configured: auth is off (LiteLLM's behaviour); serve warns loudly.
OPEN = KeyContext(is_admin=True, key_name="no_auth")


def mask(api_key: str) -> str:
    return f"{api_key[:4]}****{api_key[-4:]}" if len(api_key) > 8 else "****"


def is_master_key(api_key: str, master_key: str) -> bool:
    # Constant-time: the comparison must not reveal how much of a guess was right.
    return bool(master_key) and hmac.compare_digest(api_key.encode(), master_key.encode())


async def authenticate(api_key: str | None, master_key: str, route: str | None = None) -> KeyContext:
    """The caller's context; `route` (the request path) is checked against the key's allowed_routes."""
    if not master_key:
        return OPEN
    if not api_key:
        raise AuthenticationFailed("Authentication Error, No api key passed in.")
    if is_master_key(api_key, master_key):
        return ADMIN
    if not api_key.startswith("sk-"):
        raise AuthenticationFailed(
            f"Authentication Error, LiteLLM Virtual Key expected. Received={mask(api_key)}, "
            "expected to start with 'sk-'."
        )
    context = await cache.get_key(hashlib.sha256(api_key.encode()).hexdigest())
    if context is None:
        raise AuthenticationFailed(
            "Authentication Error, Invalid proxy server token passed. Received API Key = "
            f"{mask(api_key)}, Key not found in the database.",
            error_type="token_not_found_in_db",
        )
    check_usable(context)
    if route is not None and context.allowed_routes:
        check_route(context.allowed_routes, route)
    return context


def check_usable(context: KeyContext) -> None:
    if context.is_blocked:
        raise AuthenticationFailed("Authentication Error, Key is blocked. Update via `/key/unblock` if you're admin.")
    if context.is_team_blocked:
        raise AuthenticationFailed(f"Authentication Error, Team={context.team_id} is blocked. Update via "
                                   "`/team/unblock` if you're admin.")
    if context.expires_at is not None and context.expires_at <= time.time():
        expired = datetime.fromtimestamp(context.expires_at, timezone.utc).isoformat()
        # [v] LiteLLM answered 400 up to 1.8x and 401 since.
        raise AuthenticationFailed(f"Authentication Error - Expired Key. Key Expiry time {expired} and current "
                                   f"time {datetime.now(timezone.utc).isoformat()}", error_type="expired_key")
