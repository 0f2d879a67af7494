"""Virtual keys, teams, users, reusable budgets, end-users and the audit log.

Write them only through keys/services: a raw .save() skips the audit log and
the cache invalidation that makes a change visible on every instance.
"""
from __future__ import annotations

import uuid

from django.db import models

MONEY = {"max_digits": 18, "decimal_places": 8}


def new_id() -> str:
    return str(uuid.uuid4())


class BudgetFields(models.Model):
    """Budget and limits shared by keys, teams, users and budget objects."""

    max_budget = models.DecimalField(null=True, blank=True, **MONEY)
    soft_budget = models.DecimalField(null=True, blank=True, **MONEY)
    spend = models.DecimalField(default=0, **MONEY)
    budget_duration = models.CharField(max_length=16, null=True, blank=True)
    budget_reset_at = models.DateTimeField(null=True, blank=True, db_index=True)
    rpm_limit = models.BigIntegerField(null=True, blank=True)
    tpm_limit = models.BigIntegerField(null=True, blank=True)
    max_parallel_requests = models.IntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        abstract = True


class Budget(BudgetFields):
    """A reusable budget (`/budget/new`), attachable to keys and end-users."""

    budget_id = models.CharField(primary_key=True, max_length=255, default=new_id)


class User(BudgetFields):
    """An internal user of the gateway (`/user/*`)."""

    ROLES = ["proxy_admin", "proxy_admin_viewer", "internal_user", "internal_user_viewer"]

    user_id = models.CharField(primary_key=True, max_length=255, default=new_id)
    user_email = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    user_alias = models.CharField(max_length=255, null=True, blank=True)
    user_role = models.CharField(max_length=32, default="internal_user")
    # Last: the field's name shadows the module inside the class body.
    models = models.JSONField(default=list, blank=True)


class Team(BudgetFields):
    team_id = models.CharField(primary_key=True, max_length=255, default=new_id)
    team_alias = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    organization_id = models.CharField(max_length=255, null=True, blank=True)
    model_aliases = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    blocked = models.BooleanField(default=False)
    models = models.JSONField(default=list, blank=True)  # last: shadows the module


class TeamMember(models.Model):
    ROLES = ["admin", "user"]

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, default="user")
    spend = models.DecimalField(default=0, **MONEY)
    max_budget_in_team = models.DecimalField(null=True, blank=True, **MONEY)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")]


class VirtualKey(BudgetFields):
    """A key clients use. Only its SHA-256 is stored; the raw key is shown once."""

    token = models.CharField(primary_key=True, max_length=64)  # sha256 hex of the raw key
    key_name = models.CharField(max_length=64)  # "sk-...abcd", safe to show
    key_alias = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    aliases = models.JSONField(default=dict, blank=True)
    soft_budget_crossed_at = models.DateTimeField(null=True, blank=True)
    model_max_budget = models.JSONField(default=dict, blank=True)
    model_rpm_limit = models.JSONField(default=dict, blank=True)
    model_tpm_limit = models.JSONField(default=dict, blank=True)
    expires = models.DateTimeField(null=True, blank=True)
    blocked = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    permissions = models.JSONField(default=dict, blank=True)
    allowed_cache_controls = models.JSONField(default=list, blank=True)
    allowed_routes = models.JSONField(default=list, blank=True)
    key_type = models.CharField(max_length=32, default="default")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="keys")
    user_id = models.CharField(max_length=255, null=True, blank=True, db_index=True)
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.SET_NULL, related_name="keys")
    updated_by = models.CharField(max_length=255, null=True, blank=True)
    models = models.JSONField(default=list, blank=True)  # last: shadows the module

    class Meta:
        # The /ui keys list's order (newest first) and its expiry filters; keys/migrations/0002
        # adds the alias search's index.
        indexes = [models.Index(fields=["-created_at", "-token"], name="key_newest_first"),
                   models.Index(fields=["expires"], name="key_expires")]


class EndUser(models.Model):
    """The `user` field of a request (LiteLLM's "customer"), with an optional budget."""

    user_id = models.CharField(primary_key=True, max_length=255)
    alias = models.CharField(max_length=255, null=True, blank=True)
    spend = models.DecimalField(default=0, **MONEY)
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.SET_NULL, related_name="end_users")
    blocked = models.BooleanField(default=False)
    allowed_model_region = models.CharField(max_length=16, null=True, blank=True)
    default_model = models.CharField(max_length=255, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)


class AuditEntry(models.Model):
    """Who changed what, when; each row's hash covers the previous row's, so an
    edited or deleted row breaks the chain (`manage.py verify_audit`)."""

    created_at = models.DateTimeField()
    actor = models.CharField(max_length=255)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
