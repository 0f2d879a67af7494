"""Unauthenticated probes for orchestrators: liveliness and readiness."""
from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import DatabaseError, connection
from django.http import HttpResponse

from gateway.proxy import runtime
from gateway.proxy.views import GatewayAPIView, json_response
from gateway.state import fallback_count, shared_state
from keys import cache as key_cache
from keys import end_users


class LivelinessView(GatewayAPIView):
    async def get(self, request) -> HttpResponse:
        return json_response("I'm alive!")


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


class ReadinessView(GatewayAPIView):
    """200 when the database (and Redis, if configured) answer; 503 otherwise.
    `cache_fallbacks` counts this worker's switches to local state (a metric).

    Also says what the config asks for that the gateway does not do: settings
    that restrict access or content and are NOT ENFORCED, settings not acted on
    yet, and deployments it cannot serve (names and reasons, never values).
    """

    async def get(self, request) -> HttpResponse:
        is_db_up = await sync_to_async(_database_answers)()
        state = shared_state()
        is_cache_up = await state.ping()
        is_ready = is_db_up and is_cache_up
        config = runtime.current().config
        return json_response(
            {
                "status": "healthy" if is_ready else "unhealthy",
                "db": "connected" if is_db_up else "Not connected",
                "cache": state.backend if is_cache_up else f"{state.backend} not connected",
                # Times this worker counted limits and budgets in its own memory because
                # Redis could not serve (each time for a few seconds): should stay 0.
                "cache_fallbacks": fallback_count(),
                # This worker's bounded in-process caches (see KEY_CACHE_MAX_ENTRIES).
                "local_cache": {**key_cache.sizes(), "end_users": end_users.size()},
                "not_enforced": [item.describe() for item in config.not_enforced],
                "not_acted_on": [item.describe() for item in config.unacted if not item.is_security],
                "skipped_deployments": [item.describe() for item in config.skipped],
            },
            status=200 if is_ready else 503,
        )
