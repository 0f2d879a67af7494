"""Reusable budgets (`/budget/*`): create, update, delete.

A key with a budget_id takes the budget's limits where its own are unset, and
that is part of the key's cached context: a change to a budget invalidates the
tokens of every key that uses it once it commits.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from gateway.errors import BadRequest, NotFound
from keys import end_users
from keys.audit import audit_record
from keys.durations import next_reset
from keys.models import Budget, VirtualKey, new_id
from keys.services.common import Actor, invalidate_after_commit, snapshot

# Fields a caller may set directly on a budget (the API's names are the model's).
BUDGET_FIELDS = ("max_budget", "soft_budget", "max_parallel_requests", "tpm_limit", "rpm_limit", "budget_duration")


def budget_tokens(budget_id: str) -> list[str]:
    return list(VirtualKey.objects.filter(budget_id=budget_id).values_list("token", flat=True))


def _apply_fields(budget: Budget, fields: dict) -> None:
    for name in BUDGET_FIELDS:
        if name in fields:
            setattr(budget, name, fields[name])
    if "budget_duration" in fields:
        budget.budget_reset_at = next_reset(budget.budget_duration, timezone.now()) if budget.budget_duration \
            else None


def _locked(budget_id: str) -> Budget:
    budget = Budget.objects.select_for_update().filter(budget_id=budget_id).first()
    if budget is None:
        raise NotFound(f"Budget not found, passed budget_id={budget_id}", param="budget_id")
    return budget


def budget_create(actor: Actor, fields: dict) -> Budget:
    budget_id = fields.get("budget_id") or new_id()
    with transaction.atomic():
        budget = Budget(budget_id=budget_id, created_by=actor.name)
        _apply_fields(budget, fields)
        try:
            with transaction.atomic():
                budget.save(force_insert=True)
        except IntegrityError:
            raise BadRequest(f"Budget with id '{budget_id}' already exists.", param="budget_id") from None
        audit_record(actor=actor.name, action="budget_create", object_type="budget", object_id=budget.budget_id,
                     before=None, after=snapshot(budget))
    return budget


def forget_customers_after_commit(user_ids: list[str]) -> None:
    """Customers' budgets are cached by the proxy: drop them once the change commits."""
    transaction.on_commit(lambda: end_users.invalidate(user_ids))


def budget_update(actor: Actor, budget_id: str, fields: dict) -> Budget:
    with transaction.atomic():
        budget = _locked(budget_id)
        before = snapshot(budget)
        _apply_fields(budget, fields)
        budget.save()
        audit_record(actor=actor.name, action="budget_update", object_type="budget", object_id=budget.budget_id,
                     before=before, after=snapshot(budget))
        invalidate_after_commit(budget_tokens(budget.budget_id))
        forget_customers_after_commit(list(budget.end_users.values_list("user_id", flat=True)))
    return budget


def budget_delete(actor: Actor, budget_id: str) -> Budget:
    """Delete a budget; the keys and customers that used it keep going without one."""
    with transaction.atomic():
        budget = _locked(budget_id)
        tokens = budget_tokens(budget.budget_id)
        customers = list(budget.end_users.values_list("user_id", flat=True))
        audit_record(actor=actor.name, action="budget_delete", object_type="budget", object_id=budget.budget_id,
                     before={**snapshot(budget), "key_count": len(tokens), "customers": customers}, after=None)
        Budget.objects.filter(budget_id=budget.budget_id).delete()  # keys and customers: SET_NULL
        invalidate_after_commit(tokens)
        forget_customers_after_commit(customers)
    return budget
