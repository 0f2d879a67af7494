"""Pages of /ui that are not one model's list. Each module's urls(site) wraps
its views in site.admin_view (login required, CSRF, no caching)."""
from __future__ import annotations

from gateway.ui.views import health, logs, models, spend


def urls(site) -> list:
    return spend.urls(site) + logs.urls(site) + models.urls(site) + health.urls(site)
