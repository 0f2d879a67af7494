"""The pipeline's admit step: rate limits and budgets of the key, its team, its
user, the user within the team, the end-user and the key x model pair, checked and reserved in one atomic
step before the call (gateway/proxy/accounting.py settles them after it).

Budgets fail closed: a request that would spend against a budget on a model
with no known price is refused, instead of being charged $0 for ever. The
reservation covers the dearest deployment of every group the call may reach,
its fallbacks included.

A per-key model limit (model_rpm_limit / model_tpm_limit) applies to the group
that serves: the asked-for group's at admission, a fallback group's when the
router moves to it (one more Redis round trip, only then), and the answer's
tokens count on the group that answered.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from gateway.errors import BadRequest, PermissionDenied
from gateway.proxy.runtime import Runtime
from gateway.types import KeyContext, Limits, ProxyCall
from keys import end_users, limits
from spend.cost import estimate_cost

MODEL_PER_KEY = "model_per_key"
TEAM_MEMBER = "team_member"  # a user's max_budget_in_team, against what the user spent in that team


def _scope(kind: str, scope_id: str, own: Limits) -> limits.Scope:
    return limits.Scope(kind=kind, id=scope_id, rpm_limit=own.rpm, tpm_limit=own.tpm,
                        max_parallel_requests=own.parallel, max_budget=own.max_budget, spend=own.spend)


def model_scope(key: KeyContext, group: str) -> limits.Scope | None:
    """The key's own rpm/tpm limit for one model group, if it has one."""
    rpm, tpm = key.model_rpm_limit.get(group), key.model_tpm_limit.get(group)
    if rpm is None and tpm is None:
        return None
    return limits.Scope(kind=MODEL_PER_KEY, id=f"{key.token}:{group}", rpm_limit=rpm, tpm_limit=tpm)


def scopes_for(key: KeyContext, group: str) -> list[limits.Scope]:
    scopes = [_scope("api_key", key.token, key.key_limits)]
    if key.team_id:
        scopes.append(_scope("team", key.team_id, key.team_limits))
    if key.user_id:
        scopes.append(_scope("user", key.user_id, key.user_limits))
    if key.team_id and key.user_id and key.member_limits.max_budget is not None:
        scopes.append(_scope(TEAM_MEMBER, f"{key.team_id}:{key.user_id}", key.member_limits))
    per_model = model_scope(key, group)
    if per_model is not None:
        scopes.append(per_model)
    return scopes


async def scopes_of(key: KeyContext, call: ProxyCall, group: str, runtime: Runtime) -> list[limits.Scope]:
    """Every scope the call counts against; 403 for a blocked customer."""
    scopes = [] if key.is_admin else scopes_for(key, group)
    if call.end_user:
        customer = await end_users.end_user_state(call.end_user, runtime.max_end_user_budget)
        if customer.is_blocked:
            raise PermissionDenied(f"End user={call.end_user} is blocked. Update via `/customer/unblock`.",
                                   param="user")
        if not customer.limits.is_empty:
            scopes.append(_scope("end_user", call.end_user, customer.limits))
    return scopes


def has_budget(scopes: list[limits.Scope]) -> bool:
    return any(scope.max_budget is not None for scope in scopes)


async def admit(scopes: list[limits.Scope], call: ProxyCall, groups: tuple[str, ...],
                runtime: Runtime) -> limits.Ticket | None:
    """Reserve the call against every limit and budget, or raise 429 /
    budget_exceeded. `groups`: the asked-for group first, then every fallback
    the call may reach."""
    if not scopes:
        return None
    estimate = _estimate(call, groups, runtime) if has_budget(scopes) else Decimal(0)
    return await limits.admit(scopes, request_id=call.request_id, estimated_cost=estimate,
                              budget_status=runtime.budget_status)


async def admit_fallback(key: KeyContext, call: ProxyCall, group: str, runtime: Runtime) -> limits.Ticket | None:
    """Count the call against the key's own limit for a fallback group, if it
    has one, just before the router tries that group; 429 when it is spent."""
    scope = None if key.is_admin else model_scope(key, group)
    if scope is None:
        return None
    return await limits.admit([scope], request_id=call.request_id, estimated_cost=Decimal(0),
                              budget_status=runtime.budget_status)


def ticket_to_release(ticket: limits.Ticket | None, group: str, served_by: str | None,
                      taken: dict[str, limits.Ticket]) -> limits.Ticket | None:
    """The ticket whose release settles the call: the answer's tokens count on
    the per-key model limit of the group that served, not the one asked for.
    Per-model scopes hold no in-flight slot or reservation, so leaving one out
    of the release gives nothing back too early or twice."""
    if ticket is None or served_by is None or served_by == group:
        return ticket
    scopes = [scope for scope in ticket.scopes if scope.kind != MODEL_PER_KEY]
    if served_by in taken:
        scopes += taken[served_by].scopes
    return dataclasses.replace(ticket, scopes=tuple(scopes))


def is_priced(group: str, runtime: Runtime) -> bool:
    return all(runtime.price(deployment) is not None for deployment in runtime.table.deployments(group))


def _estimate(call: ProxyCall, groups: tuple[str, ...], runtime: Runtime) -> Decimal:
    """The most this call may cost on any deployment of any group it may reach."""
    estimates = []
    for group in groups:
        for deployment in runtime.table.deployments(group):
            price = runtime.price(deployment)
            if price is None:
                raise BadRequest(
                    f"No price is known for model {deployment.entry.model} (model group {group}), and this key has "
                    "a budget: set input_cost_per_token and output_cost_per_token in its litellm_params, or "
                    "model_info.base_model to a priced model.", param="model", code="model_not_priced")
            body = {**deployment.entry.request_defaults, **call.body}
            estimates.append(estimate_cost(body, price, call.call_type.value))
    return max(estimates)
