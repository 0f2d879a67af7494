"""/team/* over real HTTP against the live gateway, with LiteLLM's shapes."""
from __future__ import annotations

import time
import uuid

import httpx

from tests.conftest import auth


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def call(http: httpx.Client, path: str, body: dict | None = None, key: str | None = None) -> httpx.Response:
    headers = auth(key) if key else auth()
    if body is None:
        return http.get(path, headers=headers)
    return http.post(path, json=body, headers=headers)


def ok(response: httpx.Response) -> dict | list:
    assert response.status_code == 200, response.text
    return response.json()


def new_key(http: httpx.Client, **fields) -> str:
    return ok(call(http, "/key/generate", fields))["key"]


def chat(http: httpx.Client, key: str) -> httpx.Response:
    return http.post("/v1/chat/completions", headers=auth(key),
                     json={"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}]})


def new_team(http: httpx.Client, **fields) -> dict:
    return ok(call(http, "/team/new", {"team_id": unique("team"), **fields}))


def error_of(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_team_new_returns_the_row_with_spend_and_members(http):
    user_id = unique("user")
    team = new_team(http, team_alias="platform", models=["mock-gpt"], max_budget=12.5, tpm_limit=1000,
                    rpm_limit=10, max_parallel_requests=3, metadata={"cost_center": "42"}, tags=["prod"],
                    model_aliases={"fast": "mock-gpt"}, budget_duration="30d",
                    members_with_roles=[{"user_id": user_id, "role": "admin"}])
    assert team["team_alias"] == "platform"
    assert team["spend"] == 0.0 and team["max_budget"] == 12.5
    assert team["models"] == ["mock-gpt"] and team["tags"] == ["prod"]
    assert team["model_aliases"] == {"fast": "mock-gpt"} and team["metadata"] == {"cost_center": "42"}
    assert (team["tpm_limit"], team["rpm_limit"], team["max_parallel_requests"]) == (1000, 10, 3)
    assert team["budget_duration"] == "30d" and team["budget_reset_at"].endswith("+00:00")
    assert team["members_with_roles"] == [{"user_id": user_id, "user_email": None, "role": "admin"}]
    assert team["admins"] == [user_id] and team["blocked"] is False


def test_team_new_makes_a_uuid_team_id_when_none_is_given(http):
    team = ok(call(http, "/team/new", {"team_alias": "no id"}))
    assert uuid.UUID(team["team_id"])


def test_team_new_refuses_an_existing_team_id(http):
    team = new_team(http)
    error = error_of(call(http, "/team/new", {"team_id": team["team_id"]}), 400)
    assert error["param"] == "team_id" and "already exists" in error["message"]


def test_team_update_changes_only_the_fields_given(http):
    team = new_team(http, team_alias="before", models=["mock-gpt"])
    answer = ok(call(http, "/team/update", {"team_id": team["team_id"], "team_alias": "after", "max_budget": 3,
                                            "budget_duration": "1d"}))
    assert answer["team_id"] == team["team_id"]
    data = answer["data"]
    assert data["team_alias"] == "after" and data["max_budget"] == 3.0 and data["models"] == ["mock-gpt"]
    assert data["budget_reset_at"] is not None


def test_team_info_shows_the_team_its_keys_without_raw_keys_and_memberships(http):
    user_id = unique("user")
    team = new_team(http, members_with_roles=[{"user_id": user_id, "role": "user"}])
    raw_key = new_key(http, team_id=team["team_id"], key_alias=unique("alias"))
    info = ok(call(http, f"/team/info?team_id={team['team_id']}"))
    assert info["team_id"] == team["team_id"]
    assert info["team_info"]["members_with_roles"] == [{"user_id": user_id, "user_email": None, "role": "user"}]
    assert [key["key_name"] for key in info["keys"]] == [f"sk-...{raw_key[-4:]}"]
    assert raw_key not in str(info)
    assert info["team_memberships"] == [{"user_id": user_id, "team_id": team["team_id"], "spend": 0.0,
                                         "budget_id": None, "litellm_budget_table": None}]


def test_team_info_of_an_unknown_team_is_404_naming_team_id(http):
    error = error_of(call(http, f"/team/info?team_id={unique('missing')}"), 404)
    assert error["param"] == "team_id"


def test_team_info_without_team_id_is_422_naming_it(http):
    assert error_of(call(http, "/team/info"), 422)["param"] == "team_id"


def test_team_list_returns_rows_filtered_by_user_and_organization(http):
    user_id, organization = unique("user"), unique("org")
    first = new_team(http, organization_id=organization, members_with_roles=[{"user_id": user_id}])
    second = new_team(http, organization_id=organization)
    by_org = ok(call(http, f"/team/list?organization_id={organization}"))
    assert [team["team_id"] for team in by_org] == [first["team_id"], second["team_id"]]
    by_user = ok(call(http, f"/team/list?user_id={user_id}"))
    assert [team["team_id"] for team in by_user] == [first["team_id"]]
    assert by_user[0]["members_with_roles"][0]["user_id"] == user_id


def test_team_delete_deletes_the_team_and_its_keys(http):
    team = new_team(http)
    raw_key = new_key(http, team_id=team["team_id"])
    assert chat(http, raw_key).status_code == 200
    assert ok(call(http, "/team/delete", {"team_ids": [team["team_id"]]})) == {"deleted_teams": [team["team_id"]]}
    assert error_of(call(http, f"/team/info?team_id={team['team_id']}"), 404)["param"] == "team_id"
    assert chat(http, raw_key).status_code == 401


def test_team_delete_of_an_unknown_team_deletes_nothing(http):
    team = new_team(http)
    error = error_of(call(http, "/team/delete", {"team_ids": [team["team_id"], unique("missing")]}), 404)
    assert error["param"] == "team_id"
    ok(call(http, f"/team/info?team_id={team['team_id']}"))


def wait_for_status(http: httpx.Client, key: str, status: int, seconds: float = 2.0) -> float:
    started = time.monotonic()
    while True:
        answer = chat(http, key)
        if answer.status_code == status:
            return time.monotonic() - started
        assert time.monotonic() - started < seconds, f"still {answer.status_code} after {seconds}s: {answer.text}"
        time.sleep(0.05)


def test_blocking_a_team_stops_its_keys_at_once_and_unblocking_restores_them(http):
    team = new_team(http)
    raw_key = new_key(http, team_id=team["team_id"])
    assert chat(http, raw_key).status_code == 200  # now cached
    assert ok(call(http, "/team/block", {"team_id": team["team_id"]}))["blocked"] is True
    wait_for_status(http, raw_key, 401)
    error = error_of(chat(http, raw_key), 401)
    assert "blocked" in error["message"]
    assert ok(call(http, "/team/unblock", {"team_id": team["team_id"]}))["blocked"] is False
    wait_for_status(http, raw_key, 200)


def test_member_add_creates_unknown_users_and_returns_them(http):
    team = new_team(http)
    email, user_id = f"{unique('person')}@example.com", unique("user")
    answer = ok(call(http, "/team/member_add", {
        "team_id": team["team_id"], "max_budget_in_team": 2.5,
        "member": [{"user_email": email, "role": "user"}, {"user_id": user_id, "role": "admin"}]}))
    assert answer["team_id"] == team["team_id"]
    emails = {member["user_email"] for member in answer["members_with_roles"]}
    assert email in emails
    created = {user["user_email"]: user for user in answer["updated_users"]}
    assert created[email]["teams"] == [team["team_id"]] and uuid.UUID(created[email]["user_id"])
    assert [m["litellm_budget_table"] for m in answer["updated_team_memberships"]] == [{"max_budget": 2.5}] * 2
    ok(call(http, f"/user/info?user_id={user_id}"))


def test_member_add_refuses_a_member_already_in_the_team(http):
    user_id = unique("user")
    team = new_team(http, members_with_roles=[{"user_id": user_id}])
    response = call(http, "/team/member_add", {"team_id": team["team_id"], "member": {"user_id": user_id}})
    assert error_of(response, 400)["param"] == "member"


def test_member_delete_removes_the_membership(http):
    user_id = unique("user")
    team = new_team(http, members_with_roles=[{"user_id": user_id}])
    answer = ok(call(http, "/team/member_delete", {"team_id": team["team_id"], "user_id": user_id}))
    assert answer["members_with_roles"] == []
    again = call(http, "/team/member_delete", {"team_id": team["team_id"], "user_id": user_id})
    assert error_of(again, 404)["param"] == "user_id"


def test_a_team_admin_reads_its_team_and_manages_members_but_nothing_else(http):
    admin_id, plain_id = unique("admin"), unique("plain")
    team = new_team(http)
    other = new_team(http)
    ok(call(http, "/team/member_add", {"team_id": team["team_id"],
                                       "member": [{"user_id": admin_id, "role": "admin"},
                                                  {"user_id": plain_id, "role": "user"}]}))
    admin_key, plain_key = new_key(http, user_id=admin_id), new_key(http, user_id=plain_id)

    assert ok(call(http, f"/team/info?team_id={team['team_id']}", key=admin_key))["team_id"] == team["team_id"]
    assert error_of(call(http, f"/team/info?team_id={team['team_id']}", key=plain_key), 403)
    assert error_of(call(http, f"/team/info?team_id={other['team_id']}", key=admin_key), 403)

    newcomer = unique("newcomer")
    ok(call(http, "/team/member_add", {"team_id": team["team_id"], "member": {"user_id": newcomer}}, key=admin_key))
    ok(call(http, "/team/member_delete", {"team_id": team["team_id"], "user_id": newcomer}, key=admin_key))
    refused = call(http, "/team/member_add", {"team_id": other["team_id"], "member": {"user_id": newcomer}},
                   key=admin_key)
    assert error_of(refused, 403)
    refused = call(http, "/team/member_add", {"team_id": team["team_id"], "member": {"user_id": newcomer}},
                   key=plain_key)
    assert error_of(refused, 403)
    assert ok(call(http, f"/team/info?team_id={other['team_id']}"))["team_info"]["members"] == []

    update = call(http, "/team/update", {"team_id": team["team_id"], "max_budget": 1000}, key=admin_key)
    assert "Only proxy admin" in error_of(update, 401)["message"]
    assert error_of(call(http, "/team/block", {"team_id": team["team_id"]}, key=admin_key), 401)
    assert ok(call(http, f"/team/info?team_id={team['team_id']}"))["team_info"]["max_budget"] is None


def test_a_key_lists_only_its_own_users_teams(http):
    user_id = unique("user")
    team = new_team(http, members_with_roles=[{"user_id": user_id}])
    new_team(http)
    user_key = new_key(http, user_id=user_id)
    assert [t["team_id"] for t in ok(call(http, "/team/list", key=user_key))] == [team["team_id"]]
    assert error_of(call(http, f"/team/list?user_id={unique('someone')}", key=user_key), 401)


def test_a_non_admin_key_gets_401_on_admin_team_routes_and_nothing_changes(http):
    plain_key = new_key(http)
    team_id = unique("team")
    error = error_of(call(http, "/team/new", {"team_id": team_id}, key=plain_key), 401)
    assert error["message"].startswith("Only proxy admin can be used to")
    assert error_of(call(http, f"/team/info?team_id={team_id}"), 404)
    team = new_team(http)
    assert error_of(call(http, "/team/delete", {"team_ids": [team["team_id"]]}, key=plain_key), 401)
    ok(call(http, f"/team/info?team_id={team['team_id']}"))


def test_a_wrong_field_type_is_422_naming_the_field(http):
    error = error_of(call(http, "/team/new", {"team_id": unique("team"), "max_budget": "lots"}), 422)
    assert error["param"] == "max_budget"
    error = error_of(call(http, "/team/new", {"members_with_roles": [{"user_id": "u", "role": "owner"}]}), 422)
    assert error["param"] == "members_with_roles.role"
    error = error_of(call(http, "/team/update", {"team_id": unique("team"), "budget_duration": "soon"}), 422)
    assert error["param"] == "budget_duration"


def test_updating_an_unknown_team_is_404_naming_team_id(http):
    assert error_of(call(http, "/team/update", {"team_id": unique("missing"), "max_budget": 1}), 404)["param"] \
        == "team_id"
