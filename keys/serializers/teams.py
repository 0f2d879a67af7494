"""Validation of /team/* bodies and the shape of a team in answers (LiteLLM's)."""
from __future__ import annotations

from rest_framework import serializers

from keys.models import Team, TeamMember, VirtualKey
from keys.serializers.fields import (DurationField, as_float, as_iso, limit, mapping, money, parallel_limit,
                                     string_list, string_mapping)
from keys.serializers.keys import key_as_dict


class MemberSerializer(serializers.Serializer):
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    user_email = serializers.CharField(required=False, allow_null=True, max_length=255)
    role = serializers.ChoiceField(choices=TeamMember.ROLES, default="user")

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("user_id") and not attrs.get("user_email"):
            raise serializers.ValidationError({"user_id": "give user_id or user_email"})
        return attrs


class MembersField(serializers.Field):
    """LiteLLM's `member`: one {user_id|user_email, role} object or a list of them; always a list here."""

    def to_internal_value(self, data) -> list[dict]:
        items = data if isinstance(data, list) else [data]
        if not items:
            raise serializers.ValidationError("give at least one member")
        members = []
        for item in items:
            serializer = MemberSerializer(data=item)
            if not serializer.is_valid():
                raise serializers.ValidationError(serializer.errors)
            members.append(dict(serializer.validated_data))
        return members

    def to_representation(self, value):
        return value


class TeamFieldsSerializer(serializers.Serializer):
    team_alias = serializers.CharField(required=False, allow_null=True, max_length=255)
    organization_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    metadata = mapping()
    models = string_list()
    max_budget = money()
    soft_budget = money()
    budget_duration = DurationField(required=False, allow_null=True)
    tpm_limit = limit()
    rpm_limit = limit()
    max_parallel_requests = parallel_limit()
    blocked = serializers.BooleanField(required=False)
    tags = string_list()
    model_aliases = string_mapping()


class TeamNewSerializer(TeamFieldsSerializer):
    team_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    members_with_roles = MembersField(required=False)


class TeamUpdateSerializer(TeamFieldsSerializer):
    team_id = serializers.CharField(max_length=255)


class TeamReferenceSerializer(serializers.Serializer):
    team_id = serializers.CharField(max_length=255)


class TeamDeleteSerializer(serializers.Serializer):
    team_ids = serializers.ListField(child=serializers.CharField(max_length=255), allow_empty=False)


class TeamListQuerySerializer(serializers.Serializer):
    user_id = serializers.CharField(required=False, max_length=255)
    organization_id = serializers.CharField(required=False, max_length=255)


class TeamMemberAddSerializer(serializers.Serializer):
    team_id = serializers.CharField(max_length=255)
    member = MembersField()
    max_budget_in_team = money()


class TeamMemberDeleteSerializer(serializers.Serializer):
    team_id = serializers.CharField(max_length=255)
    user_id = serializers.CharField(required=False, allow_null=True, max_length=255)
    user_email = serializers.CharField(required=False, allow_null=True, max_length=255)

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("user_id") and not attrs.get("user_email"):
            raise serializers.ValidationError({"user_id": "Either user_id or user_email needs to be passed in"})
        return attrs




def _members(team: Team) -> list[TeamMember]:
    # .all() so a prefetch of "members__user" is used; ordered here, not in SQL, for the same reason.
    return sorted(team.members.all(), key=lambda member: member.id)


def member_as_dict(member: TeamMember) -> dict:
    return {"user_id": member.user_id, "user_email": member.user.user_email, "role": member.role}


def membership_as_dict(member: TeamMember) -> dict:
    """LiteLLM's LiteLLM_TeamMembership row; the in-team budget is shown as its budget table."""
    budget = None
    if member.max_budget_in_team is not None:
        budget = {"max_budget": as_float(member.max_budget_in_team)}
    return {"user_id": member.user_id, "team_id": member.team_id, "spend": float(member.spend), "budget_id": None,
            "litellm_budget_table": budget}


def team_as_dict(team: Team) -> dict:
    members = _members(team)
    return {
        "team_id": team.team_id, "team_alias": team.team_alias, "organization_id": team.organization_id,
        "admins": [m.user_id for m in members if m.role == "admin"], "members": [m.user_id for m in members],
        "members_with_roles": [member_as_dict(m) for m in members],
        "metadata": team.metadata, "models": team.models, "tags": team.tags, "model_aliases": team.model_aliases,
        "spend": float(team.spend), "max_budget": as_float(team.max_budget), "soft_budget": as_float(team.soft_budget),
        "budget_duration": team.budget_duration, "budget_reset_at": as_iso(team.budget_reset_at),
        "tpm_limit": team.tpm_limit, "rpm_limit": team.rpm_limit, "max_parallel_requests": team.max_parallel_requests,
        "blocked": team.blocked, "created_by": team.created_by, "created_at": as_iso(team.created_at),
        "updated_at": as_iso(team.updated_at),
    }


def team_key_as_dict(key: VirtualKey) -> dict:
    """A key of the team as admins see it: its hash (to manage it), never the raw key."""
    return {**key_as_dict(key), "token": key.token}
