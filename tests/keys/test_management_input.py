"""Bad input on the management API is a 4xx in OpenAI's error shape naming the
field, never a 500, and writes nothing: numbers beyond their column, huge
durations and pages, NUL characters, JSON nested 10,000 deep (issue 11)."""
from __future__ import annotations

import pytest

from tests.keys.test_teams_api import call, new_team, ok, unique

BIG_INT = 2**63  # one past a 64-bit column
BIG_PARALLEL = 2**40  # past max_parallel_requests' 32-bit column


def refused(response, param: str | None = None, statuses: tuple[int, ...] = (400, 422)) -> dict:
    assert response.status_code in statuses, response.text
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "param", "code"} and error["code"] == str(response.status_code)
    if param is not None:
        assert error["param"] == param, error
    return error


@pytest.mark.parametrize("query", ["page=abc", "size=abc", "page=0", "page=99999999999999999999", "size=1000",
                                   "return_full_object=maybe"])
def test_key_list_paging_that_is_not_a_number_is_a_422(http, query):
    name = query.split("=")[0]
    refused(call(http, f"/key/list?{query}"), name)


def test_user_list_pages_are_bounded(http):
    refused(call(http, "/user/list?page=99999999999999999999"), "page")
    refused(call(http, "/user/list?page_size=-1"), "page_size")


def entity_routes(http) -> list[tuple[str, dict]]:
    """A create and an update route of every kind of object, each with a valid body to add a number to."""
    key = ok(call(http, "/key/generate", {}))
    team = new_team(http)
    user = ok(call(http, "/user/new", {"user_id": unique("user"), "auto_create_key": False}))
    budget = ok(call(http, "/budget/new", {}))
    customer = ok(call(http, "/customer/new", {"user_id": unique("customer")}))
    return [
        ("/key/generate", {}), ("/key/update", {"key": key["token"]}),
        ("/key/regenerate", {"key": key["token"]}),
        ("/team/new", {"team_id": unique("team")}), ("/team/update", {"team_id": team["team_id"]}),
        ("/user/new", {"user_id": unique("user")}), ("/user/update", {"user_id": user["user_id"]}),
        ("/budget/new", {"budget_id": unique("budget")}), ("/budget/update", {"budget_id": budget["budget_id"]}),
        ("/customer/new", {"user_id": unique("customer")}),
        ("/customer/update", {"user_id": customer["user_id"]}),
    ]


@pytest.mark.parametrize(("field", "value"), [
    ("rpm_limit", BIG_INT), ("tpm_limit", BIG_INT), ("max_parallel_requests", BIG_PARALLEL),
    ("rpm_limit", -1), ("max_budget", 1e300), ("max_budget", -5), ("soft_budget", 1e-20),
    ("budget_duration", "99999999999999d"), ("budget_duration", "999999999mo"), ("budget_duration", "0d"),
    ("budget_duration", "000000000000000001d"),
])
def test_a_number_out_of_its_columns_range_is_a_4xx_on_every_route(http, field, value):
    for path, body in entity_routes(http):
        refused(call(http, path, {**body, field: value}), field)


@pytest.mark.parametrize(("field", "value", "param"), [
    ("duration", "99999999999999d", "duration"), ("duration", "1e5d", "duration"),
    ("model_rpm_limit", {"gpt-4.1": BIG_INT}, "model_rpm_limit.gpt-4.1"),
    ("model_tpm_limit", {"gpt-4.1": -1}, "model_tpm_limit.gpt-4.1"),
    ("model_rpm_limit", {"gpt-4.1": True}, "model_rpm_limit.gpt-4.1"),
    ("spend", 1e30, "spend"),
])
def test_a_bad_key_number_is_refused_and_makes_no_key(http, field, value, param):
    alias = unique("bad")

    refused(call(http, "/key/generate", {"key_alias": alias, field: value}), param)

    assert ok(call(http, f"/key/list?key_alias={alias}"))["total_count"] == 0


def test_team_member_budgets_are_bounded(http):
    team = new_team(http)
    body = {"team_id": team["team_id"], "member": {"user_id": unique("user")}, "max_budget_in_team": 1e300}
    refused(call(http, "/team/member_add", body), "max_budget_in_team")


def test_json_nested_ten_thousand_deep_is_a_400_on_management_routes(http):
    deep = b"[" * 10_000 + b"]" * 10_000
    nested_metadata = b'{"metadata": ' + b'{"a": ' * 300 + b"1" + b"}" * 300 + b"}"
    for path in ("/key/generate", "/team/new", "/user/new", "/budget/new", "/customer/new"):
        for body in (deep, nested_metadata):
            response = http.post(path, content=body, headers={"Authorization": "Bearer sk-test-master",
                                                              "Content-Type": "application/json"})
            assert "nested deeper" in refused(response, statuses=(400,))["message"], path


def test_nul_characters_are_a_400_naming_where_they_are(http):
    alias = unique("nul")
    refused(call(http, "/key/generate", {"key_alias": alias, "metadata": {"note": "a\u0000b"}}), "metadata.note",
            statuses=(400,))
    refused(call(http, "/team/new", {"team_alias": "x\u0000"}), "team_alias", statuses=(400,))
    refused(http.get("/user/info", params={"user_id": "a\x00b"}, headers={"Authorization": "Bearer sk-test-master"}),
            "user_id", statuses=(400,))
    refused(http.get("/spend/logs", params={"request_id": "a\x00b"},
                     headers={"Authorization": "Bearer sk-test-master"}), "request_id", statuses=(400,))
    assert ok(call(http, f"/key/list?key_alias={alias}"))["total_count"] == 0
