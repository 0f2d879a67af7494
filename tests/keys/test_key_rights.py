"""Who may generate, update and regenerate which key, attacked over real HTTP:
management rights come from the caller's own key and role, never from a
user_id or team_id the caller chose (issue 11, items 1, 2 and 4)."""
from __future__ import annotations

import pytest

from tests.keys.test_teams_api import call, chat, error_of, new_team, ok, unique
from tests.keys.test_users_api import new_user


def user_key(http, role: str = "internal_user", **fields) -> dict:
    """A user of this role and a key of their own (their user_id)."""
    return new_user(http, user_role=role, **fields)


def team_with_admin(http, admin: dict, **fields) -> dict:
    return new_team(http, members_with_roles=[{"user_id": admin["user_id"], "role": "admin"}], **fields)


def add_member(http, team: dict, user_id: str, role: str = "user") -> None:
    ok(call(http, "/team/member_add", {"team_id": team["team_id"], "member": {"user_id": user_id, "role": role}}))


def is_refused(response, *statuses: int) -> bool:
    return response.status_code in (statuses or (401, 403))


def test_an_internal_user_cannot_mint_a_key_that_acts_as_an_admin(http):
    admin = user_key(http, "proxy_admin", auto_create_key=False)
    me = user_key(http)

    answer = call(http, "/key/generate", {"user_id": admin["user_id"]}, key=me["key"])

    assert is_refused(answer), answer.text
    assert ok(call(http, f"/user/info?user_id={admin['user_id']}"))["keys"] == []
    assert error_of(call(http, "/user/new", {"user_id": unique("user")}, key=me["key"]), 401)


def test_an_internal_user_mints_keys_for_themself_only(http):
    me, other = user_key(http), user_key(http)

    own = ok(call(http, "/key/generate", {"user_id": me["user_id"]}, key=me["key"]))
    theirs = call(http, "/key/generate", {"user_id": other["user_id"]}, key=me["key"])

    assert own["user_id"] == me["user_id"] and chat(http, own["key"]).status_code == 200
    assert is_refused(theirs), theirs.text


def test_a_team_admin_cannot_give_a_team_key_to_a_proxy_admin(http):
    team_admin, admin = user_key(http), user_key(http, "proxy_admin", auto_create_key=False)
    team = team_with_admin(http, team_admin)

    outsider = call(http, "/key/generate", {"team_id": team["team_id"], "user_id": admin["user_id"]},
                    key=team_admin["key"])
    add_member(http, team, admin["user_id"])
    member = call(http, "/key/generate", {"team_id": team["team_id"], "user_id": admin["user_id"]},
                  key=team_admin["key"])

    assert error_of(outsider, 403)["param"] == "user_id"
    assert error_of(member, 403)["param"] == "user_id"
    assert ok(call(http, f"/user/info?user_id={admin['user_id']}"))["keys"] == []


def test_a_team_admin_cannot_move_a_key_to_an_admin_by_update_or_regenerate(http):
    team_admin, admin = user_key(http), user_key(http, "proxy_admin", auto_create_key=False)
    team = team_with_admin(http, team_admin)
    add_member(http, team, admin["user_id"])
    key = ok(call(http, "/key/generate", {"team_id": team["team_id"]}, key=team_admin["key"]))

    updated = call(http, "/key/update", {"key": key["token"], "user_id": admin["user_id"]}, key=team_admin["key"])
    regenerated = call(http, "/key/regenerate", {"key": key["token"], "user_id": admin["user_id"]},
                       key=team_admin["key"])

    assert error_of(updated, 403)["param"] == "user_id"
    assert error_of(regenerated, 403)["param"] == "user_id"
    info = ok(call(http, f"/key/info?key={key['token']}"))["info"]
    assert info["user_id"] is None
    assert error_of(call(http, "/user/list", key=key["key"]), 401)


def test_a_team_admin_cannot_take_over_a_proxy_admins_key_in_its_team(http):
    team_admin, admin = user_key(http), user_key(http, "proxy_admin", auto_create_key=False)
    team = team_with_admin(http, team_admin)
    add_member(http, team, admin["user_id"])
    admins_key = ok(call(http, "/key/generate", {"team_id": team["team_id"], "user_id": admin["user_id"]}))

    regenerated = call(http, "/key/regenerate", {"key": admins_key["token"]}, key=team_admin["key"])
    updated = call(http, "/key/update", {"key": admins_key["token"], "max_budget": 1}, key=team_admin["key"])

    assert error_of(regenerated, 403) and "key" not in regenerated.json()
    assert error_of(updated, 403)
    assert chat(http, admins_key["key"]).status_code == 200  # still the admin's, still working


def test_a_team_admin_cannot_borrow_another_teams_admin_rights(http):
    team_admin, other_admin = user_key(http), user_key(http)
    team = team_with_admin(http, team_admin)
    other = team_with_admin(http, other_admin)
    add_member(http, team, other_admin["user_id"])

    answer = call(http, "/key/generate", {"team_id": team["team_id"], "user_id": other_admin["user_id"]},
                  key=team_admin["key"])

    assert error_of(answer, 403)["param"] == "user_id"
    assert ok(call(http, f"/team/info?team_id={other['team_id']}"))["keys"] == []


def test_a_team_admin_gives_keys_to_plain_members_of_its_team(http):
    team_admin, member = user_key(http), user_key(http)
    team = team_with_admin(http, team_admin)
    add_member(http, team, member["user_id"])

    key = ok(call(http, "/key/generate", {"team_id": team["team_id"], "user_id": member["user_id"]},
                  key=team_admin["key"]))

    assert key["user_id"] == member["user_id"] and key["team_id"] == team["team_id"]
    assert chat(http, key["key"]).status_code == 200


@pytest.mark.parametrize(("field", "value"), [("spend", 0), ("key_type", "management"),
                                              ("allowed_routes", ["/key/generate"]),
                                              ("permissions", {"get_spend_routes": True})])
def test_only_an_admin_sets_fields_that_widen_a_key(http, field, value):
    team_admin = user_key(http)
    team = team_with_admin(http, team_admin)
    key = ok(call(http, "/key/generate", {"team_id": team["team_id"], "max_budget": 1}))
    ok(call(http, "/key/update", {"key": key["token"], "spend": 0.5}))
    value = 0 if field == "spend" else value  # spend: a reset of what the key spent

    generated = call(http, "/key/generate", {"team_id": team["team_id"], field: value}, key=team_admin["key"])
    updated = call(http, "/key/update", {"key": key["token"], field: value}, key=team_admin["key"])
    regenerated = call(http, "/key/regenerate", {"key": key["token"], field: value}, key=team_admin["key"])

    if field != "spend":  # a new key's spend is 0 already: sending 0 changes nothing
        assert error_of(generated, 403)["param"] == field
    assert error_of(updated, 403)["param"] == field
    assert error_of(regenerated, 403)["param"] == field
    assert ok(call(http, f"/key/info?key={key['token']}"))["info"]["spend"] == 0.5


def test_only_an_admin_attaches_a_budget(http):
    team_admin = user_key(http)
    team = team_with_admin(http, team_admin)
    budget = ok(call(http, "/budget/new", {"budget_id": unique("budget"), "max_budget": 1000}))

    answer = call(http, "/key/generate", {"team_id": team["team_id"], "budget_id": budget["budget_id"]},
                  key=team_admin["key"])

    assert error_of(answer, 403)["param"] == "budget_id"


def test_a_team_admin_cannot_take_a_key_out_of_its_team(http):
    team_admin = user_key(http)
    team = team_with_admin(http, team_admin, models=["gpt-4.1"])
    key = ok(call(http, "/key/generate", {"team_id": team["team_id"], "user_id": team_admin["user_id"]},
                  key=team_admin["key"]))

    answer = call(http, "/key/update", {"key": key["token"], "team_id": None, "models": []}, key=team_admin["key"])

    assert error_of(answer, 403)["param"] == "team_id"
    assert ok(call(http, f"/key/info?key={key['token']}"))["info"]["team_id"] == team["team_id"]
    assert chat(http, key["key"]).status_code == 403  # mock-gpt is not the team's


def test_a_team_admin_moves_keys_only_between_teams_it_administers(http):
    team_admin = user_key(http)
    first, second = team_with_admin(http, team_admin), team_with_admin(http, team_admin)
    foreign = new_team(http)
    key = ok(call(http, "/key/generate", {"team_id": first["team_id"]}, key=team_admin["key"]))

    refused = call(http, "/key/update", {"key": key["token"], "team_id": foreign["team_id"]}, key=team_admin["key"])
    moved = call(http, "/key/update", {"key": key["token"], "team_id": second["team_id"]}, key=team_admin["key"])

    assert error_of(refused, 403)["param"] == "team_id"
    assert ok(moved)["team_id"] == second["team_id"]


def test_regenerate_runs_the_same_team_check_as_generate_and_update(http):
    team_admin = user_key(http)
    team = team_with_admin(http, team_admin, models=["gpt-4.1"], max_budget=10)
    key = ok(call(http, "/key/generate", {"team_id": team["team_id"]}, key=team_admin["key"]))

    models = call(http, "/key/regenerate", {"key": key["token"], "models": ["mock-gpt"]}, key=team_admin["key"])
    budget = call(http, "/key/regenerate", {"key": key["token"], "max_budget": 1000}, key=team_admin["key"])
    as_admin = call(http, "/key/regenerate", {"key": key["token"], "max_budget": 1000})

    assert error_of(models, 400)["param"] == "models"
    assert error_of(budget, 400)["param"] == "max_budget"
    assert error_of(as_admin, 400)["param"] == "max_budget"  # the team's limit holds for every caller
    assert chat(http, key["key"]).status_code == 403  # the old key still works, still for gpt-4.1 only


def test_regenerate_moves_a_key_only_as_update_does(http):
    team_admin = user_key(http)
    team = team_with_admin(http, team_admin)
    key = ok(call(http, "/key/generate", {"team_id": team["team_id"]}, key=team_admin["key"]))

    answer = call(http, "/key/regenerate", {"key": key["token"], "team_id": None}, key=team_admin["key"])

    assert error_of(answer, 403)["param"] == "team_id"


@pytest.mark.parametrize("role", ["internal_user_viewer", "proxy_admin_viewer"])
def test_read_only_roles_change_nothing_even_as_team_admins(http, role):
    viewer = user_key(http, role)
    team = team_with_admin(http, viewer)
    team_key = ok(call(http, "/key/generate", {"team_id": team["team_id"]}))
    writes = [
        ("/key/generate", {"user_id": viewer["user_id"]}),
        ("/key/generate", {"team_id": team["team_id"]}),
        ("/key/update", {"key": team_key["token"], "key_alias": "changed"}),
        ("/key/regenerate", {"key": team_key["token"]}),
        (f"/key/{team_key['token']}/regenerate", {}),
        ("/key/block", {"key": team_key["token"]}),
        ("/key/unblock", {"key": team_key["token"]}),
        ("/key/delete", {"keys": [team_key["token"]]}),
        ("/team/member_add", {"team_id": team["team_id"], "member": {"user_id": unique("user")}}),
        ("/team/member_delete", {"team_id": team["team_id"], "user_id": viewer["user_id"]}),
        ("/team/new", {"team_id": unique("team")}),
        ("/team/update", {"team_id": team["team_id"], "max_budget": 5}),
        ("/team/block", {"team_id": team["team_id"]}),
        ("/team/delete", {"team_ids": [team["team_id"]]}),
        ("/user/new", {"user_id": unique("user")}),
        ("/user/update", {"user_id": viewer["user_id"], "user_role": "proxy_admin"}),
        ("/user/delete", {"user_ids": [viewer["user_id"]]}),
        ("/budget/new", {"budget_id": unique("budget")}),
        ("/customer/new", {"user_id": unique("customer")}),
        ("/customer/block", {"user_ids": [unique("customer")]}),
    ]

    for path, body in writes:
        answer = call(http, path, body, key=viewer["key"])
        assert answer.status_code == 403 and "read-only" in answer.text, (path, answer.text)

    info = ok(call(http, f"/team/info?team_id={team['team_id']}"))
    assert [key["token"] for key in info["keys"]] == [team_key["token"]]
    assert info["keys"][0]["key_alias"] is None and not info["keys"][0]["blocked"]
    assert len(info["team_info"]["members"]) == 1
    assert ok(call(http, f"/user/info?user_id={viewer['user_id']}"))["user_info"]["user_role"] == role
    assert chat(http, team_key["key"]).status_code == 200


def test_a_proxy_admin_viewer_still_reads(http):
    viewer = user_key(http, "proxy_admin_viewer")
    team = new_team(http)

    assert ok(call(http, f"/team/info?team_id={team['team_id']}", key=viewer["key"]))["team_id"] == team["team_id"]
    assert "keys" in ok(call(http, "/key/list", key=viewer["key"]))
    assert ok(call(http, "/budget/info", {"budgets": [ok(call(http, "/budget/new", {}))["budget_id"]]},
                   key=viewer["key"]))


def test_an_internal_user_changes_nothing_of_another_user(http):
    me, other = user_key(http), user_key(http)
    team = team_with_admin(http, other)
    theirs = ok(call(http, "/key/generate", {"user_id": other["user_id"], "team_id": team["team_id"]}))
    writes = [
        ("/key/generate", {"user_id": other["user_id"]}),
        ("/key/generate", {"user_id": other["user_id"], "team_id": team["team_id"]}),
        ("/key/update", {"key": theirs["token"], "user_id": me["user_id"]}),
        ("/key/update", {"key": theirs["token"], "max_budget": 1000}),
        ("/key/regenerate", {"key": theirs["token"]}),
        (f"/key/{theirs['token']}/regenerate", {"user_id": me["user_id"]}),
        ("/key/block", {"key": theirs["token"]}),
        ("/key/delete", {"keys": [theirs["token"]]}),
        ("/user/update", {"user_id": other["user_id"], "max_budget": 0}),
        ("/user/update", {"user_id": me["user_id"], "user_role": "proxy_admin"}),
        ("/user/delete", {"user_ids": [other["user_id"]]}),
        ("/team/member_add", {"team_id": team["team_id"], "member": {"user_id": me["user_id"], "role": "admin"}}),
        ("/team/member_delete", {"team_id": team["team_id"], "user_id": other["user_id"]}),
        ("/team/update", {"team_id": team["team_id"], "models": []}),
        ("/customer/new", {"user_id": unique("customer")}),
        ("/budget/new", {}),
    ]

    for path, body in writes:
        answer = call(http, path, body, key=me["key"])
        assert answer.status_code in (401, 403), (path, answer.text)

    assert chat(http, theirs["key"]).status_code == 200
    info = ok(call(http, f"/key/info?key={theirs['token']}"))["info"]
    assert info["user_id"] == other["user_id"] and info["max_budget"] is None
    assert ok(call(http, f"/team/info?team_id={team['team_id']}"))["team_info"]["admins"] == [other["user_id"]]
    assert ok(call(http, f"/user/info?user_id={me['user_id']}"))["user_info"]["user_role"] == "internal_user"
