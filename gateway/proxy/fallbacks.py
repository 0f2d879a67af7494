"""Which fallback groups a call may reach, decided before it is admitted.

Every group a call may be served by passes the same access check as the group
it asked for (the key's, its team's and its user's models), so a key limited
to one group is never answered by another once that one fails:

- fallbacks the client names (body `fallbacks`) are refused with a 403 naming
  `fallbacks` when the key may not call one of them;
- configured fallbacks (`fallbacks`, its "*" entry, `default_fallbacks`,
  `context_window_fallbacks`, `content_policy_fallbacks`) the key may not call
  are left out, as if they were not configured.

For a call that spends against a budget, a fallback group with an unpriced
deployment is left out too (or refused, when the client named it): it could
not be charged.
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway.errors import BadRequest, PermissionDenied
from gateway.proxy import admission
from gateway.proxy.runtime import Runtime
from gateway.types import KeyContext, ProxyCall
from keys.access import apply_aliases, check_model_access, may_call


@dataclass(frozen=True, slots=True)
class Fallbacks:
    """`names`: the client's fallbacks after the key's aliases (None: the
    configured ones apply); `groups`: every group the call may fall back to."""

    names: tuple[str, ...] | None
    groups: tuple[str, ...]


NONE = Fallbacks(names=(), groups=())


def plan(call: ProxyCall, key: KeyContext, group: str, runtime: Runtime, *, needs_price: bool) -> Fallbacks:
    if call.fallbacks == ():  # disable_fallbacks
        return NONE
    router = runtime.router
    if call.fallbacks is None:
        def may_use(name: str, fallback: str) -> bool:
            return may_call(key, name, fallback) and (not needs_price or admission.is_priced(fallback, runtime))

        return Fallbacks(names=None, groups=router.reachable_fallbacks(group, None, may_use))

    def check_requested(name: str, fallback: str) -> bool:
        try:
            check_model_access(key, name, fallback)
        except PermissionDenied as denied:
            raise PermissionDenied(denied.message, param="fallbacks", error_type=denied.error_type) from None
        if needs_price and not admission.is_priced(fallback, runtime):
            raise BadRequest(f"fallbacks: no price is known for model group {fallback}, and this key has a budget: "
                             "give its deployments input_cost_per_token and output_cost_per_token, or a "
                             "model_info.base_model that is priced.", param="fallbacks", code="model_not_priced")
        return True

    names = tuple(apply_aliases(key, name) for name in call.fallbacks)
    return Fallbacks(names=names, groups=router.reachable_fallbacks(group, names, check_requested))
