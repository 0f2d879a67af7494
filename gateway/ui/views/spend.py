"""/ui: the spend page(s)."""
from __future__ import annotations


def urls(site) -> list:
    return []
