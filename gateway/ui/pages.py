"""Pages of /ui that are not one model's list: each a view wrapped by the
site's admin_view (login required, CSRF, no caching)."""
from __future__ import annotations

from django.urls import path


def urls(site) -> list:
    return []
