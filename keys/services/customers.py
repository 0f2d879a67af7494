"""Customers (LiteLLM's end-users, the `user` field of a request): create, update, delete.

Budget fields sent with a customer live on a Budget row attached to it, as in
LiteLLM: created with the customer, or updated in place later (which changes
it for everyone attached to that budget).
"""
from __future__ import annotations

from django.db import IntegrityError, transaction

from gateway.errors import BadRequest, NotFound
from keys import end_users
from keys.audit import audit_record
from keys.models import Budget, EndUser
from keys.services import budgets as budget_services
from keys.services.common import Actor, snapshot

# Fields a caller may set directly on a customer (the API's names are the model's).
CUSTOMER_FIELDS = ("alias", "blocked", "allowed_model_region", "default_model", "metadata", "spend")


def _budget_fields(fields: dict) -> dict:
    return {name: fields[name] for name in budget_services.BUDGET_FIELDS if fields.get(name) is not None}


def _existing_budget(budget_id: str) -> Budget:
    budget = Budget.objects.filter(budget_id=budget_id).first()
    if budget is None:
        raise NotFound(f"Budget not found, passed budget_id={budget_id}", param="budget_id")
    return budget


def _apply_fields(end_user: EndUser, fields: dict) -> None:
    for name in CUSTOMER_FIELDS:
        if name in fields:
            setattr(end_user, name, fields[name])


def forget_after_commit(user_ids: list[str]) -> None:
    """The proxy caches end-users' budgets: drop them once the change commits."""
    user_ids = list(user_ids)
    transaction.on_commit(lambda: end_users.invalidate(user_ids))


def customer_create(actor: Actor, fields: dict) -> EndUser:
    with transaction.atomic():
        end_user = EndUser(user_id=fields["user_id"])
        _apply_fields(end_user, fields)
        if _budget_fields(fields):
            end_user.budget = budget_services.budget_create(actor, _budget_fields(fields))
        elif fields.get("budget_id"):
            end_user.budget = _existing_budget(fields["budget_id"])
        try:
            with transaction.atomic():
                end_user.save(force_insert=True)
        except IntegrityError:
            raise BadRequest(f"Customer already exists, passed user_id={end_user.user_id}. Please pass a new "
                             "user_id.", param="user_id") from None
        audit_record(actor=actor.name, action="customer_create", object_type="customer",
                     object_id=end_user.user_id, before=None, after=snapshot(end_user))
        forget_after_commit([end_user.user_id])  # an earlier request may have cached "no budget"
    return end_user


def customer_update(actor: Actor, user_id: str, fields: dict) -> EndUser:
    with transaction.atomic():
        end_user = EndUser.objects.select_for_update().filter(user_id=user_id).first()
        if end_user is None:
            raise NotFound(f"End User Id={user_id} does not exist in db", param="user_id")
        before = snapshot(end_user)
        _apply_fields(end_user, fields)
        if "budget_id" in fields:
            end_user.budget = _existing_budget(fields["budget_id"]) if fields["budget_id"] else None
        budget_fields = _budget_fields(fields)
        if budget_fields and end_user.budget_id:
            end_user.budget = budget_services.budget_update(actor, end_user.budget_id, budget_fields)
        elif budget_fields:
            end_user.budget = budget_services.budget_create(actor, budget_fields)
        end_user.save()
        audit_record(actor=actor.name, action="customer_update", object_type="customer",
                     object_id=end_user.user_id, before=before, after=snapshot(end_user))
        forget_after_commit([end_user.user_id])
    return end_user


def customer_set_blocked(actor: Actor, user_ids: list[str], is_blocked: bool) -> list[EndUser]:
    """Block (creating unknown customers, as LiteLLM does) or unblock customers; all or none."""
    with transaction.atomic():
        found = EndUser.objects.select_for_update().in_bulk(user_ids)
        missing = [user_id for user_id in dict.fromkeys(user_ids) if user_id not in found]
        if missing and not is_blocked:
            raise NotFound(f"End User Id(s)={', '.join(missing)} do not exist in db", param="user_ids")
        for user_id in missing:
            found[user_id] = customer_create(actor, {"user_id": user_id})
        changed = []
        for user_id in dict.fromkeys(user_ids):
            end_user = found[user_id]
            before = snapshot(end_user)
            end_user.blocked = is_blocked
            end_user.save(update_fields=["blocked", "updated_at"])
            audit_record(actor=actor.name, action="customer_block" if is_blocked else "customer_unblock",
                         object_type="customer", object_id=end_user.user_id, before=before, after=snapshot(end_user))
            changed.append(end_user)
        forget_after_commit([end_user.user_id for end_user in changed])
    return changed


def customer_delete(actor: Actor, user_ids: list[str]) -> int:
    with transaction.atomic():
        end_users = list(EndUser.objects.select_for_update().filter(user_id__in=user_ids))
        missing = sorted(set(user_ids) - {end_user.user_id for end_user in end_users})
        if missing:
            raise NotFound(f"End User Id(s)={', '.join(missing)} do not exist in db", param="user_ids")
        for end_user in end_users:
            audit_record(actor=actor.name, action="customer_delete", object_type="customer",
                         object_id=end_user.user_id, before=snapshot(end_user), after=None)
        deleted, _ = EndUser.objects.filter(user_id__in=user_ids).delete()
        forget_after_commit(user_ids)
    return deleted
