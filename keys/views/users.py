"""/user/new, /user/info, /user/update, /user/delete, /user/list."""
from __future__ import annotations

import math

from django.db.models import Prefetch
from rest_framework.response import Response

from gateway.errors import NotFound, PermissionDenied
from keys import permissions
from keys.models import Team, TeamMember, User, VirtualKey
from keys.serializers.teams import team_as_dict, team_key_as_dict
from keys.serializers.users import (UserDeleteSerializer, UserListQuerySerializer, UserNewSerializer,
                                    UserUpdateSerializer, user_as_dict)
from keys.services import users as user_services
from keys.views.base import ManagementView


def find_user(user_id: str, param: str = "user_id") -> User:
    user = User.objects.prefetch_related("memberships").filter(user_id=user_id).first()
    if user is None:
        raise NotFound(f"User not found, passed user_id={user_id}", param=param)
    return user


class UserNewView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/user/new")
        fields = self.valid(UserNewSerializer, request.data)
        user, key, raw_key = user_services.user_create(actor, fields)
        answer = user_as_dict(find_user(user.user_id))
        answer.update({"key": raw_key, "key_name": key.key_name if key else None,
                       "key_alias": key.key_alias if key else None,
                       "expires": key.expires.isoformat() if key and key.expires else None})
        return Response(answer)


class UserInfoView(ManagementView):
    def get(self, request) -> Response:
        actor = self.actor(request)
        user_id = request.query_params.get("user_id") or actor.user_id
        user_id = self.required(user_id, "user_id")
        if user_id != actor.user_id and not permissions.is_admin_viewer(actor):
            raise PermissionDenied(f"key not allowed to access this user's info. user_id={user_id}, key's "
                                   f"user_id={actor.user_id}")
        user = find_user(user_id)
        keys = VirtualKey.objects.filter(user_id=user.user_id).order_by("created_at")
        teams = Team.objects.filter(members__user=user).order_by("team_alias", "team_id") \
            .prefetch_related(Prefetch("members", queryset=TeamMember.objects.select_related("user")))
        return Response({"user_id": user.user_id, "user_info": user_as_dict(user),
                         "keys": [team_key_as_dict(key) for key in keys],
                         "teams": [team_as_dict(team) for team in teams]})


class UserUpdateView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/user/update")
        fields = self.valid(UserUpdateSerializer, request.data)
        user_id = fields.pop("user_id", None)
        if not user_id:
            email = fields["user_email"]
            user_id = User.objects.filter(user_email__iexact=email).order_by("created_at") \
                .values_list("user_id", flat=True).first()
            if user_id is None:
                raise NotFound(f"User not found, passed user_email={email}", param="user_email")
        user = user_services.user_update(actor, user_id, fields)
        return Response({"user_id": user.user_id, "data": user_as_dict(find_user(user.user_id))})


class UserDeleteView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/user/delete")
        user_ids = self.valid(UserDeleteSerializer, request.data)["user_ids"]
        return Response({"deleted_users": user_services.user_delete(actor, user_ids)})


class UserListView(ManagementView):
    def get(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin_viewer(actor, "/user/list")
        query = self.valid(UserListQuerySerializer, request.query_params)
        rows = User.objects.prefetch_related("memberships").order_by("created_at", "user_id")
        if query.get("role"):
            rows = rows.filter(user_role=query["role"])
        if query.get("user_ids"):
            rows = rows.filter(user_id__in=[i.strip() for i in query["user_ids"].split(",") if i.strip()])
        if query.get("user_email"):
            rows = rows.filter(user_email__icontains=query["user_email"])
        if query.get("team"):
            rows = rows.filter(memberships__team_id=query["team"])
        page, size = query["page"], query["page_size"]
        total = rows.count()
        return Response({"users": [user_as_dict(user) for user in rows[(page - 1) * size: page * size]],
                         "total": total, "page": page, "page_size": size,
                         "total_pages": math.ceil(total / size) if total else 0})
