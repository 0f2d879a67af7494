"""DRF authentication for the management API (/key, /team, /user, /budget,
/customer, /spend): the same key headers as the proxy; request.user becomes an
Actor, whose rights come from the key's user's role (one query per call)."""
from __future__ import annotations

import hashlib

from rest_framework.authentication import BaseAuthentication

from gateway.errors import AuthenticationFailed
from gateway.proxy import runtime as runtime_module
from keys import selectors
from keys.auth import check_usable, is_master_key, mask
from keys.headers import read_api_key
from keys.routes import check_route
from keys.models import User
from keys.services.common import MASTER, Actor


class GatewayKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        runtime = runtime_module.current()
        raw_key = read_api_key(request._request.META, runtime.key_header_meta)
        if not runtime.master_key:
            return MASTER, None
        if not raw_key:
            raise AuthenticationFailed("Authentication Error, No api key passed in.")
        if is_master_key(raw_key, runtime.master_key):
            return MASTER, None
        context = selectors.key_context(hashlib.sha256(raw_key.encode()).hexdigest()) \
            if raw_key.startswith("sk-") else None
        if context is None:
            raise AuthenticationFailed(f"Authentication Error, Invalid proxy server token passed. Received API Key = "
                                       f"{mask(raw_key)}, Key not found in the database.",
                                       error_type="token_not_found_in_db")
        check_usable(context)
        check_route(context.allowed_routes, request._request.path)
        role = User.objects.filter(user_id=context.user_id).values_list("user_role", flat=True).first() \
            if context.user_id else None
        actor = Actor(name=context.user_id or context.key_name, is_admin=role == "proxy_admin",
                      user_id=context.user_id, token=context.token, role=role)
        return actor, context

    def authenticate_header(self, request) -> str:
        return "Bearer"
