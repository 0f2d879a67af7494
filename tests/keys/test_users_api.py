"""/user/* over real HTTP against the live gateway, with LiteLLM's shapes."""
from __future__ import annotations

import uuid

from tests.keys.test_teams_api import call, chat, error_of, new_key, new_team, ok, unique


def new_user(http, **fields) -> dict:
    return ok(call(http, "/user/new", {"user_id": unique("user"), **fields}))


def test_user_new_returns_the_user_and_a_working_key(http):
    user = new_user(http, user_email=f"{unique('a')}@example.com", user_alias="Ada", max_budget=5,
                    tpm_limit=100, rpm_limit=10, models=["mock-gpt"], metadata={"team": "core"})
    assert user["user_role"] == "internal_user" and user["max_budget"] == 5.0 and user["spend"] == 0.0
    assert user["models"] == ["mock-gpt"] and user["metadata"] == {"team": "core"} and user["teams"] == []
    assert user["key"].startswith("sk-") and user["key_name"] == f"sk-...{user['key'][-4:]}"
    assert chat(http, user["key"]).status_code == 200
    info = ok(call(http, "/key/info", key=user["key"]))["info"]
    assert info["user_id"] == user["user_id"] and info["models"] == ["mock-gpt"]


def test_user_new_makes_a_uuid_user_id_when_none_is_given(http):
    user = ok(call(http, "/user/new", {"user_alias": "anonymous"}))
    assert uuid.UUID(user["user_id"])


def test_user_new_without_auto_create_key_makes_no_key(http):
    user = new_user(http, auto_create_key=False)
    assert user["key"] is None
    assert ok(call(http, f"/user/info?user_id={user['user_id']}"))["keys"] == []


def test_user_new_with_teams_makes_user_memberships(http):
    team = new_team(http)
    user = new_user(http, teams=[team["team_id"]])
    assert user["teams"] == [team["team_id"]]
    members = ok(call(http, f"/team/info?team_id={team['team_id']}"))["team_info"]["members_with_roles"]
    assert members == [{"user_id": user["user_id"], "user_email": None, "role": "user"}]


def test_user_new_with_an_unknown_team_is_404_and_creates_nothing(http):
    user_id = unique("user")
    error = error_of(call(http, "/user/new", {"user_id": user_id, "teams": [unique("missing")]}), 404)
    assert error["param"] == "teams"
    assert error_of(call(http, f"/user/info?user_id={user_id}"), 404)["param"] == "user_id"


def test_user_new_refuses_an_existing_user_id_or_email(http):
    email = f"{unique('b')}@example.com"
    user = new_user(http, user_email=email)
    assert error_of(call(http, "/user/new", {"user_id": user["user_id"]}), 409)["param"] == "user_id"
    assert error_of(call(http, "/user/new", {"user_email": email.upper()}), 409)["param"] == "user_email"


def test_user_info_shows_the_user_their_keys_and_teams(http):
    team = new_team(http)
    user = new_user(http, teams=[team["team_id"]])
    info = ok(call(http, f"/user/info?user_id={user['user_id']}"))
    assert info["user_id"] == user["user_id"]
    assert info["user_info"]["user_id"] == user["user_id"] and info["user_info"]["teams"] == [team["team_id"]]
    assert [key["key_name"] for key in info["keys"]] == [user["key_name"]]
    assert user["key"] not in str(info)
    assert [t["team_id"] for t in info["teams"]] == [team["team_id"]]


def test_a_user_reads_their_own_info_but_not_someone_elses(http):
    user, other = new_user(http), new_user(http)
    assert ok(call(http, "/user/info", key=user["key"]))["user_id"] == user["user_id"]
    assert ok(call(http, f"/user/info?user_id={user['user_id']}", key=user["key"]))["user_id"] == user["user_id"]
    assert error_of(call(http, f"/user/info?user_id={other['user_id']}", key=user["key"]), 403)


def test_user_update_by_id_or_email_changes_the_fields_given(http):
    email = f"{unique('c')}@example.com"
    user = new_user(http, user_email=email, user_alias="old", rpm_limit=5)
    answer = ok(call(http, "/user/update", {"user_id": user["user_id"], "user_alias": "new", "max_budget": 9,
                                            "budget_duration": "1h"}))
    assert answer["user_id"] == user["user_id"]
    assert answer["data"]["user_alias"] == "new" and answer["data"]["max_budget"] == 9.0
    assert answer["data"]["rpm_limit"] == 5 and answer["data"]["budget_reset_at"] is not None
    by_email = ok(call(http, "/user/update", {"user_email": email, "user_role": "internal_user_viewer"}))
    assert by_email["user_id"] == user["user_id"] and by_email["data"]["user_role"] == "internal_user_viewer"


def test_user_update_of_an_unknown_user_is_404(http):
    assert error_of(call(http, "/user/update", {"user_id": unique("missing"), "max_budget": 1}), 404)["param"] \
        == "user_id"
    assert error_of(call(http, "/user/update", {"user_email": f"{unique('x')}@example.com"}), 404)["param"] \
        == "user_email"


def test_user_delete_deletes_the_users_and_their_keys(http):
    user = new_user(http)
    assert chat(http, user["key"]).status_code == 200
    assert ok(call(http, "/user/delete", {"user_ids": [user["user_id"]]})) == {"deleted_users": [user["user_id"]]}
    assert error_of(call(http, f"/user/info?user_id={user['user_id']}"), 404)
    assert chat(http, user["key"]).status_code == 401


def test_user_list_is_paged(http):
    team = new_team(http)
    users = [new_user(http, teams=[team["team_id"]], auto_create_key=False) for _ in range(3)]
    page = ok(call(http, f"/user/list?team={team['team_id']}&page=2&page_size=2"))
    assert (page["total"], page["page"], page["page_size"], page["total_pages"]) == (3, 2, 2, 2)
    assert [u["user_id"] for u in page["users"]] == [users[2]["user_id"]]
    ids = ",".join(u["user_id"] for u in users[:2])
    assert ok(call(http, f"/user/list?user_ids={ids}"))["total"] == 2


def test_a_proxy_admin_user_may_manage_users_and_a_viewer_may_only_read(http):
    admin = new_user(http, user_role="proxy_admin")
    viewer = new_user(http, user_role="proxy_admin_viewer")
    created = ok(call(http, "/user/new", {"user_id": unique("user")}, key=admin["key"]))
    assert ok(call(http, f"/user/info?user_id={created['user_id']}", key=viewer["key"]))
    assert ok(call(http, "/user/list?page_size=1", key=viewer["key"]))["page_size"] == 1
    refused = error_of(call(http, "/user/new", {"user_id": unique("user")}, key=viewer["key"]), 403)
    assert "read-only" in refused["message"]


def test_a_non_admin_key_gets_401_on_user_routes_and_nothing_changes(http):
    plain_key = new_key(http)
    user_id = unique("user")
    error = error_of(call(http, "/user/new", {"user_id": user_id}, key=plain_key), 401)
    assert error["message"].startswith("Only proxy admin can be used to")
    assert error_of(call(http, f"/user/info?user_id={user_id}"), 404)
    assert error_of(call(http, "/user/list", key=plain_key), 401)
    user = new_user(http)
    assert error_of(call(http, "/user/delete", {"user_ids": [user["user_id"]]}, key=plain_key), 401)
    assert error_of(call(http, "/user/update", {"user_id": user["user_id"], "max_budget": 1}, key=plain_key), 401)
    assert ok(call(http, f"/user/info?user_id={user['user_id']}"))["user_info"]["max_budget"] is None


def test_a_wrong_field_is_422_naming_it(http):
    assert error_of(call(http, "/user/new", {"user_role": "superuser"}), 422)["param"] == "user_role"
    assert error_of(call(http, "/user/new", {"tpm_limit": -1}), 422)["param"] == "tpm_limit"
    assert error_of(call(http, "/user/list?page=zero"), 422)["param"] == "page"
