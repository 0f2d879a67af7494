"""The pipeline's admit step: rate limits and budgets of the key, its team, its
user, the end-user and the key x model pair, checked and reserved in one atomic
step before the call (gateway/proxy/accounting.py settles them after it).

Budgets fail closed: a request that would spend against a budget on a model
with no known price is refused, instead of being charged $0 for ever.
"""
from __future__ import annotations

from decimal import Decimal

from gateway.errors import BadRequest, PermissionDenied
from gateway.proxy.runtime import Runtime
from gateway.types import KeyContext, Limits, ProxyCall
from keys import end_users, limits
from spend.cost import estimate_cost


def _scope(kind: str, scope_id: str, own: Limits) -> limits.Scope:
    return limits.Scope(kind=kind, id=scope_id, rpm_limit=own.rpm, tpm_limit=own.tpm,
                        max_parallel_requests=own.parallel, max_budget=own.max_budget, spend=own.spend)


def scopes_for(key: KeyContext, group: str) -> list[limits.Scope]:
    scopes = [_scope("api_key", key.token, key.key_limits)]
    if key.team_id:
        scopes.append(_scope("team", key.team_id, key.team_limits))
    if key.user_id:
        scopes.append(_scope("user", key.user_id, key.user_limits))
    rpm, tpm = key.model_rpm_limit.get(group), key.model_tpm_limit.get(group)
    if rpm is not None or tpm is not None:
        scopes.append(limits.Scope(kind="model_per_key", id=f"{key.token}:{group}", rpm_limit=rpm, tpm_limit=tpm))
    return scopes


async def admit(key: KeyContext, call: ProxyCall, group: str, runtime: Runtime) -> limits.Ticket | None:
    """Reserve the call against every limit and budget, or raise 429 / budget_exceeded."""
    scopes = [] if key.is_admin else scopes_for(key, group)
    if call.end_user:
        customer = await end_users.end_user_state(call.end_user, runtime.max_end_user_budget)
        if customer.is_blocked:
            raise PermissionDenied(f"End user={call.end_user} is blocked. Update via `/customer/unblock`.",
                                   param="user")
        if not customer.limits.is_empty:
            scopes.append(_scope("end_user", call.end_user, customer.limits))
    if not scopes:
        return None
    estimate = Decimal(0)
    if any(scope.max_budget is not None for scope in scopes):
        estimate = _estimate(call, group, runtime)
    return await limits.admit(scopes, request_id=call.request_id, estimated_cost=estimate,
                              budget_status=runtime.budget_status)


def _estimate(call: ProxyCall, group: str, runtime: Runtime) -> Decimal:
    """The most this call may cost on any deployment of the group."""
    estimates = []
    for deployment in runtime.table.deployments(group):
        price = runtime.price(deployment)
        if price is None:
            raise BadRequest(
                f"No price is known for model {deployment.entry.model} (model group {group}), and this key has a "
                "budget: set input_cost_per_token and output_cost_per_token in its litellm_params, or "
                "model_info.base_model to a priced model.", param="model", code="model_not_priced")
        body = {**deployment.entry.request_defaults, **call.body}
        estimates.append(estimate_cost(body, price, call.call_type.value))
    return max(estimates)
