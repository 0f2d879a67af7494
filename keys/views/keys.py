"""/key/generate, /key/update, /key/delete, /key/info, /key/list, /key/regenerate, /key/block, /key/unblock."""
from __future__ import annotations

import hashlib
import math
import re

from django.utils import timezone
from rest_framework.response import Response

from gateway.errors import NotFound
from keys import permissions
from keys.models import VirtualKey
from keys.serializers.keys import (KeyDeleteSerializer, KeyGenerateSerializer, KeyListQuerySerializer,
                                   KeyReferenceSerializer, KeyRegenerateSerializer, KeyUpdateSerializer, key_as_dict,
                                   key_status)
from keys.services import keys as key_services
from keys.views.base import ManagementView

HASH = re.compile(r"^[0-9a-f]{64}$")


def token_of(key_or_hash: str) -> str:
    """Routes accept the raw key or its hash, as LiteLLM's do."""
    return key_or_hash if HASH.match(key_or_hash) else hashlib.sha256(key_or_hash.encode()).hexdigest()


def find_key(key_or_hash: str) -> VirtualKey:
    key = VirtualKey.objects.select_related("team").filter(token=token_of(key_or_hash)).first()
    if key is None:
        raise NotFound("Key not found", param="key")
    return key


def answer_with_raw_key(key: VirtualKey, raw_key: str) -> dict:
    return {**key_as_dict(key), "key": raw_key, "token": key.token, "token_id": key.token}


class KeyGenerateView(ManagementView):
    def post(self, request) -> Response:
        fields = self.valid(KeyGenerateSerializer, request.data)
        actor = self.actor(request)
        permissions.check_key_change(actor, None, fields)
        key, raw_key = key_services.key_generate(actor, fields)
        return Response(answer_with_raw_key(key, raw_key))


class KeyUpdateView(ManagementView):
    def post(self, request) -> Response:
        fields = self.valid(KeyUpdateSerializer, request.data)
        reference = fields.pop("key", None)
        if reference:
            key = find_key(reference)
        else:
            alias = self.required(fields.get("key_alias"), "key")
            key = VirtualKey.objects.filter(key_alias=alias).first()
            if key is None:
                raise NotFound(f"No key with key_alias {alias!r}", param="key_alias")
        actor = self.actor(request)
        permissions.require_key_manager(actor, key)
        permissions.check_key_change(actor, key, fields)
        key = key_services.key_update(actor, key, fields)
        return Response({**key_as_dict(key), "key": key.token, "token": key.token})


class KeyDeleteView(ManagementView):
    def post(self, request) -> Response:
        fields = self.valid(KeyDeleteSerializer, request.data)
        keys = [find_key(reference) for reference in fields.get("keys") or []]
        for alias in fields.get("key_aliases") or []:
            found = list(VirtualKey.objects.filter(key_alias=alias))
            if not found:
                raise NotFound(f"No key with key_alias {alias!r}", param="key_aliases")
            keys += found
        actor = self.actor(request)
        for key in keys:
            permissions.require_key_manager(actor, key)
        key_services.key_delete(actor, keys)
        return Response({"deleted_keys": (fields.get("keys") or []) + (fields.get("key_aliases") or [])})


class KeyInfoView(ManagementView):
    def get(self, request) -> Response:
        actor = self.actor(request)
        reference = request.query_params.get("key")
        if not reference:
            if not actor.token:
                raise NotFound("Pass ?key=<key or hash>: the master key has no info of its own", param="key")
            reference = actor.token
        key = find_key(reference)
        permissions.require_key_reader(actor, key)
        return Response({"key": key.token, "info": {**key_as_dict(key), "status": key_status(key, timezone.now())}})


class KeyListView(ManagementView):
    def get(self, request) -> Response:
        actor = self.actor(request)
        rows = VirtualKey.objects.order_by("created_at")
        if not permissions.is_admin_viewer(actor):
            teams = permissions.admin_team_ids(actor)
            if not teams:
                permissions.require_admin(actor, "/key/list")
            rows = rows.filter(team_id__in=teams)
        query = self.valid(KeyListQuerySerializer, request.query_params)
        for name in ("user_id", "team_id", "key_alias"):
            if query.get(name):
                rows = rows.filter(**{name: query[name]})
        page, size = query["page"], query["size"]
        total = rows.count()
        chosen = rows[(page - 1) * size: page * size]
        full = query["return_full_object"]
        return Response({
            "keys": [{**key_as_dict(k), "token": k.token} if full else k.token for k in chosen],
            "total_count": total, "current_page": page, "total_pages": math.ceil(total / size) if total else 0,
        })


class KeyRegenerateView(ManagementView):
    def post(self, request, key: str | None = None) -> Response:
        fields = self.valid(KeyRegenerateSerializer, request.data)
        reference = key or self.required(fields.pop("key", None), "key")
        fields.pop("key", None)
        found = find_key(reference)
        actor = self.actor(request)
        new_key = fields.pop("new_key", None)
        permissions.require_key_manager(actor, found)
        permissions.check_key_change(actor, found, fields)
        fresh, raw_key = key_services.key_regenerate(actor, found, new_key, fields)
        return Response(answer_with_raw_key(fresh, raw_key))


class KeyBlockView(ManagementView):
    is_blocking = True

    def post(self, request) -> Response:
        reference = self.valid(KeyReferenceSerializer, request.data)["key"]
        key = find_key(reference)
        actor = self.actor(request)
        permissions.require_key_manager(actor, key)
        key = key_services.key_set_blocked(actor, key, self.is_blocking)
        return Response({**key_as_dict(key), "token": key.token})


class KeyUnblockView(KeyBlockView):
    is_blocking = False
