"""/ui: the hash-chained audit log, read-only."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.models import AuditEntry


@admin.register(AuditEntry, site=site)
class AuditAdmin(GatewayModelAdmin):
    list_display = ("created_at", "actor", "action", "object_type", "object_id")
