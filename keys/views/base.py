"""What the management views share: DRF views whose request.user is an Actor."""
from __future__ import annotations

from rest_framework.request import Request
from rest_framework.views import APIView

from gateway.errors import BadRequest
from keys import permissions
from keys.services.common import Actor
from keys.views.parsing import BoundedJSONParser


class ManagementView(APIView):
    """Sync DRF views: management calls are not on the hot path, and their ORM
    work runs in Django's per-request thread.

    Every POST is a change unless the view says otherwise (`is_read_only`):
    callers with a read-only role are refused before the view runs, so no
    write route can forget the check.
    """

    parser_classes = (BoundedJSONParser,)
    is_read_only = False

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        for name, values in request.query_params.lists():
            if any("\x00" in value for value in [name, *values]):  # PostgreSQL cannot compare with it: a 500 otherwise
                raise BadRequest(f"{name}: NUL (\\u0000) characters are not allowed", param=name)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not self.is_read_only:
            permissions.require_writer(self.actor(request), request.path)

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
