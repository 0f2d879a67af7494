"""/ui: internal users."""
from __future__ import annotations

from django.contrib import admin

from gateway.ui.admin_base import GatewayModelAdmin
from gateway.ui.site import site
from keys.models import User


@admin.register(User, site=site)
class UserAdmin(GatewayModelAdmin):
    list_display = ("user_id", "user_email", "user_role", "spend", "max_budget")
