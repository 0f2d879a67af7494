"""/team/new, /team/update, /team/delete, /team/info, /team/list, /team/member_add,
/team/member_delete, /team/block, /team/unblock."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from rest_framework.response import Response

from gateway.errors import NotFound, PermissionDenied
from keys import permissions
from keys.models import Team, TeamMember, User, VirtualKey
from keys.serializers.teams import (TeamDeleteSerializer, TeamListQuerySerializer, TeamMemberAddSerializer,
                                    TeamMemberDeleteSerializer, TeamNewSerializer, TeamReferenceSerializer,
                                    TeamUpdateSerializer, membership_as_dict, team_as_dict, team_key_as_dict)
from keys.serializers.users import user_as_dict
from keys.services import teams as team_services
from keys.views.base import ManagementView


def teams_with_members() -> QuerySet[Team]:
    return Team.objects.prefetch_related(Prefetch("members", queryset=TeamMember.objects.select_related("user")))


def find_team(team_id: str) -> Team:
    team = teams_with_members().filter(team_id=team_id).first()
    if team is None:
        raise NotFound(f"Team not found, passed team_id={team_id}", param="team_id")
    return team


class TeamNewView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/team/new")
        fields = self.valid(TeamNewSerializer, request.data)
        team = team_services.team_create(actor, fields)
        return Response(team_as_dict(find_team(team.team_id)))


class TeamUpdateView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/team/update")
        fields = self.valid(TeamUpdateSerializer, request.data)
        team = team_services.team_update(actor, fields.pop("team_id"), fields)
        return Response({"team_id": team.team_id, "data": team_as_dict(find_team(team.team_id))})


class TeamDeleteView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/team/delete")
        team_ids = self.valid(TeamDeleteSerializer, request.data)["team_ids"]
        return Response({"deleted_teams": team_services.team_delete(actor, team_ids)})


class TeamInfoView(ManagementView):
    def get(self, request) -> Response:
        actor = self.actor(request)
        team = find_team(self.valid(TeamReferenceSerializer, request.query_params)["team_id"])
        if not (permissions.is_admin_viewer(actor) or permissions.is_team_admin(actor, team.team_id)):
            raise PermissionDenied(f"User={actor.user_id} not authorized to access this team={team.team_id}")
        keys = VirtualKey.objects.filter(team=team).order_by("created_at")
        return Response({
            "team_id": team.team_id,
            "team_info": team_as_dict(team),
            "keys": [team_key_as_dict(key) for key in keys],
            "team_memberships": [membership_as_dict(m) for m in sorted(team.members.all(), key=lambda m: m.id)],
        })


class TeamListView(ManagementView):
    def get(self, request) -> Response:
        actor = self.actor(request)
        query = self.valid(TeamListQuerySerializer, request.query_params)
        user_id = query.get("user_id")
        if not permissions.is_admin_viewer(actor):
            if not actor.user_id or user_id not in (None, actor.user_id):
                permissions.require_admin(actor, "/team/list")  # only admins may list all or others' teams
            user_id = actor.user_id
        rows = teams_with_members().order_by("created_at", "team_id")
        if user_id:
            if not User.objects.filter(user_id=user_id).exists():
                raise NotFound(f"User not found, passed user_id={user_id}", param="user_id")
            rows = rows.filter(members__user_id=user_id)
        if query.get("organization_id"):
            rows = rows.filter(organization_id=query["organization_id"])
        return Response([team_as_dict(team) for team in rows])


class TeamMemberAddView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        fields = self.valid(TeamMemberAddSerializer, request.data)
        permissions.require_team_manager(actor, find_team(fields["team_id"]), "/team/member_add")
        team, users, memberships = team_services.team_member_add(actor, fields["team_id"], fields["member"],
                                                                 fields.get("max_budget_in_team"))
        fresh_users = User.objects.prefetch_related("memberships").in_bulk([user.user_id for user in users])
        return Response({
            **team_as_dict(find_team(team.team_id)),
            "updated_users": [user_as_dict(fresh_users[user.user_id]) for user in users],
            "updated_team_memberships": [membership_as_dict(m) for m in memberships],
        })


class TeamMemberDeleteView(ManagementView):
    def post(self, request) -> Response:
        actor = self.actor(request)
        fields = self.valid(TeamMemberDeleteSerializer, request.data)
        permissions.require_team_manager(actor, find_team(fields["team_id"]), "/team/member_delete")
        team = team_services.team_member_delete(actor, fields["team_id"], fields.get("user_id"),
                                                fields.get("user_email"))
        return Response(team_as_dict(find_team(team.team_id)))


class TeamBlockView(ManagementView):
    is_blocking = True

    def post(self, request) -> Response:
        actor = self.actor(request)
        permissions.require_admin(actor, "/team/block" if self.is_blocking else "/team/unblock")
        team_id = self.valid(TeamReferenceSerializer, request.data)["team_id"]
        team = team_services.team_set_blocked(actor, team_id, self.is_blocking)
        return Response(team_as_dict(find_team(team.team_id)))


class TeamUnblockView(TeamBlockView):
    is_blocking = False
