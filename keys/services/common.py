"""What the services share: who is acting, snapshots for the audit log, and
running work after the transaction commits."""
from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.forms.models import model_to_dict

from keys import cache


@dataclass(frozen=True, slots=True)
class Actor:
    """Who calls a management endpoint."""

    name: str  # for created_by / the audit log: "master_key" or a user id / key name
    is_admin: bool
    user_id: str | None = None
    token: str | None = None  # the calling virtual key's hash, if any
    role: str | None = None  # the user_role of the key's user (proxy_admin, internal_user_viewer...), if any


MASTER = Actor(name="master_key", is_admin=True, role="proxy_admin")

# Never in the audit log or a response unless the endpoint's contract says so.
SECRET_FIELDS = frozenset({"token"})


def snapshot(row) -> dict:
    data = model_to_dict(row)
    for name in SECRET_FIELDS & data.keys():
        data[name] = "<hash>"
    return data


def invalidate_after_commit(tokens: list[str]) -> None:
    tokens = list(tokens)
    transaction.on_commit(lambda: cache.invalidate(tokens))
