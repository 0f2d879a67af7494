"""Hot-path authentication: the raw key from the request to a KeyContext.

Only the master key exists so far; virtual keys extend `authenticate`.
"""
from __future__ import annotations

import hmac

from gateway.errors import AuthenticationFailed
from gateway.types import KeyContext

ADMIN = KeyContext(is_admin=True, key_name="master_key")
# No master key configured: auth is off (LiteLLM's behaviour); serve warns loudly.
OPEN = KeyContext(is_admin=True, key_name="no_auth")


def mask(api_key: str) -> str:
    return f"{api_key[:4]}****{api_key[-4:]}" if len(api_key) > 8 else "****"


def authenticate(api_key: str | None, master_key: str) -> KeyContext:
    if not master_key:
        return OPEN
    if not api_key:
        raise AuthenticationFailed("Authentication Error, No api key passed in.")
    # Constant-time: the comparison must not reveal how much of a guess was right.
    if hmac.compare_digest(api_key.encode(), master_key.encode()):
        return ADMIN
    if not api_key.startswith("sk-"):
        raise AuthenticationFailed(
            f"Authentication Error, LiteLLM Virtual Key expected. Received={mask(api_key)}, "
            "expected to start with 'sk-'."
        )
    raise AuthenticationFailed(
        "Authentication Error, Invalid proxy server token passed. Received API Key = "
        f"{mask(api_key)}, Key not found in the database.",
        error_type="token_not_found_in_db",
    )
