"""/ui: customers (end users)."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.models import EndUser


@admin.register(EndUser, site=site)
class CustomerAdmin(GatewayModelAdmin):
    list_display = ("user_id", "alias", "spend", "blocked")
