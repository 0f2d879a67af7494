"""What the management views share: DRF views whose request.user is an Actor."""
from __future__ import annotations

from rest_framework.request import Request
from rest_framework.views import APIView

from gateway.errors import BadRequest
from keys.services.common import Actor


class ManagementView(APIView):
    """Sync DRF views: management calls are not on the hot path, and their ORM
    work runs in Django's per-request thread."""

    def actor(self, request: Request) -> Actor:
        return request.user

    @staticmethod
    def valid(serializer_class, data) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @staticmethod
    def required(value, name: str):
        if value in (None, ""):
            raise BadRequest(f"{name} is required", param=name)
        return value
