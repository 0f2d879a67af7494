"""The signing secret (Django's SECRET_KEY) when DJANGO_SECRET_KEY is unset.

Drawn at random once and stored in the database, so every worker, instance
and restart signs /ui sessions alike. Never derived from the master key: a
session cookie signed with it would let master-key guesses be tested offline.
"""
from __future__ import annotations

import logging
import secrets
import threading

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from gateway.models import InstanceSecret

logger = logging.getLogger("gateway.ui")

SIGNING_SECRET = "django_secret_key"
START_WAIT_SECONDS = 5


def install_signing_secret() -> None:
    """Use DJANGO_SECRET_KEY, else the stored secret (stored now if there is
    none). Runs on a thread of its own: the ASGI app may be imported inside a
    running event loop, where Django refuses database calls. A database that
    does not answer does not hold up the start: the secret is taken when it does."""
    if settings.IS_SECRET_KEY_FROM_ENV:
        return
    reader = threading.Thread(target=_read_or_store_secret, name="signing-secret", daemon=True)
    reader.start()
    reader.join(timeout=START_WAIT_SECONDS)
    if reader.is_alive():
        logger.warning("The database did not answer within %ss: /ui sessions wait for the stored signing secret",
                       START_WAIT_SECONDS)


def _read_or_store_secret() -> None:
    try:
        row = InstanceSecret.objects.filter(name=SIGNING_SECRET).first()
        if row is None:
            try:
                with transaction.atomic():
                    row = InstanceSecret.objects.create(name=SIGNING_SECRET, value=secrets.token_urlsafe(50))
            except IntegrityError:  # another process stored one first: take it
                row = InstanceSecret.objects.get(name=SIGNING_SECRET)
    except DatabaseError as error:
        logger.warning("No stored signing secret (%s): /ui sessions last only as long as this process", error)
        return
    finally:
        connection.close()
    settings.SECRET_KEY = row.value
