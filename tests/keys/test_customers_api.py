"""/customer/* (LiteLLM's end-users) over real HTTP against the live gateway, with LiteLLM's shapes."""
from __future__ import annotations

import time

from tests.conftest import auth
from tests.keys.test_teams_api import call, error_of, new_key, ok, unique


def new_customer(http, **fields) -> dict:
    return ok(call(http, "/customer/new", {"user_id": unique("customer"), **fields}))


def test_customer_new_with_max_budget_attaches_a_new_budget(http):
    customer = new_customer(http, alias="Acme", max_budget=7.5, budget_duration="1mo", allowed_model_region="eu",
                            default_model="mock-gpt", metadata={"tier": "gold"})
    assert customer["alias"] == "Acme" and customer["spend"] == 0.0 and customer["blocked"] is False
    assert customer["allowed_model_region"] == "eu" and customer["default_model"] == "mock-gpt"
    budget = customer["litellm_budget_table"]
    assert budget["budget_id"] == customer["budget_id"] and budget["max_budget"] == 7.5
    assert budget["budget_duration"] == "1mo" and budget["budget_reset_at"] is not None
    assert ok(call(http, "/budget/info", {"budgets": [customer["budget_id"]]}))[0]["max_budget"] == 7.5


def test_customer_new_with_a_budget_id_uses_that_budget(http):
    budget = ok(call(http, "/budget/new", {"budget_id": unique("tier"), "max_budget": 2}))
    customer = new_customer(http, budget_id=budget["budget_id"])
    assert customer["budget_id"] == budget["budget_id"] and customer["litellm_budget_table"]["max_budget"] == 2.0
    error = error_of(call(http, "/customer/new", {"user_id": unique("c"), "budget_id": unique("missing")}), 404)
    assert error["param"] == "budget_id"


def test_customer_new_refuses_an_existing_customer(http):
    customer = new_customer(http)
    assert error_of(call(http, "/customer/new", {"user_id": customer["user_id"]}), 400)["param"] == "user_id"


def test_customer_info_shows_the_customer_and_404s_an_unknown_one(http):
    customer = new_customer(http, alias="Info")
    info = ok(call(http, f"/customer/info?end_user_id={customer['user_id']}"))
    assert info["user_id"] == customer["user_id"] and info["alias"] == "Info"
    missing = error_of(call(http, f"/customer/info?end_user_id={unique('missing')}"), 404)
    assert missing["param"] == "end_user_id"
    assert error_of(call(http, "/customer/info"), 422)["param"] == "end_user_id"


def test_customer_update_changes_fields_and_its_budget(http):
    customer = new_customer(http, alias="before")
    updated = ok(call(http, "/customer/update", {"user_id": customer["user_id"], "alias": "after", "blocked": True,
                                                 "max_budget": 3}))
    assert updated["alias"] == "after" and updated["blocked"] is True
    assert updated["litellm_budget_table"]["max_budget"] == 3.0
    again = ok(call(http, "/customer/update", {"user_id": customer["user_id"], "max_budget": 4}))
    assert again["budget_id"] == updated["budget_id"] and again["litellm_budget_table"]["max_budget"] == 4.0
    missing = error_of(call(http, "/customer/update", {"user_id": unique("missing"), "alias": "x"}), 404)
    assert missing["param"] == "user_id"


def test_customer_delete_deletes_all_or_nothing(http):
    first, second = new_customer(http), new_customer(http)
    error = error_of(call(http, "/customer/delete", {"user_ids": [first["user_id"], unique("missing")]}), 404)
    assert error["param"] == "user_ids"
    ok(call(http, f"/customer/info?end_user_id={first['user_id']}"))
    answer = ok(call(http, "/customer/delete", {"user_ids": [first["user_id"], second["user_id"]]}))
    assert answer["deleted_customers"] == 2 and first["user_id"] in answer["message"]
    assert error_of(call(http, f"/customer/info?end_user_id={first['user_id']}"), 404)


def chat_as(http, key: str, customer: str) -> int:
    return http.post("/v1/chat/completions", headers=auth(key),
                     json={"model": "mock-gpt", "user": customer, "messages": [{"role": "user", "content": "hi"}]}
                     ).status_code


def eventually_status(http, key: str, customer: str, status: int, seconds: float = 8.0) -> None:
    """The proxy caches a customer for a few seconds (keys/end_users.py), without invalidation on change."""
    deadline = time.monotonic() + seconds
    while chat_as(http, key, customer) != status:
        assert time.monotonic() < deadline, f"customer {customer} not answered {status} within {seconds}s"
        time.sleep(0.2)


def test_blocking_a_customer_refuses_its_requests_and_unblocking_restores_them(http):
    key = new_key(http)
    known, unknown = new_customer(http), unique("customer")
    assert chat_as(http, key, known["user_id"]) == 200
    answer = ok(call(http, "/customer/block", {"user_ids": [known["user_id"], unknown]}))
    assert [(row["user_id"], row["blocked"]) for row in answer["blocked_users"]] == [(known["user_id"], True),
                                                                                   (unknown, True)]
    eventually_status(http, key, known["user_id"], 403)
    assert chat_as(http, key, unknown) == 403
    answer = ok(call(http, "/customer/unblock", {"user_ids": [known["user_id"]]}))
    assert answer["unblocked_users"][0]["blocked"] is False
    eventually_status(http, key, known["user_id"], 200)
    missing = error_of(call(http, "/customer/unblock", {"user_ids": [unique("missing")]}), 404)
    assert missing["param"] == "user_ids"


def test_the_end_user_routes_are_the_customer_routes(http):
    user_id = unique("end-user")
    ok(call(http, "/end_user/new", {"user_id": user_id}))
    assert ok(call(http, f"/customer/info?end_user_id={user_id}"))["user_id"] == user_id
    assert user_id in [row["user_id"] for row in ok(call(http, "/end_user/list"))]


def test_a_non_admin_key_gets_401_on_customer_routes_and_nothing_changes(http):
    plain_key = new_key(http)
    user_id = unique("customer")
    error = error_of(call(http, "/customer/new", {"user_id": user_id}, key=plain_key), 401)
    assert error["message"].startswith("Only proxy admin can be used to")
    assert error_of(call(http, f"/customer/info?end_user_id={user_id}"), 404)
    customer = new_customer(http)
    assert error_of(call(http, "/customer/update", {"user_id": customer["user_id"], "blocked": True},
                         key=plain_key), 401)
    assert error_of(call(http, "/customer/delete", {"user_ids": [customer["user_id"]]}, key=plain_key), 401)
    assert error_of(call(http, f"/customer/info?end_user_id={customer['user_id']}", key=plain_key), 401)
    assert error_of(call(http, "/customer/block", {"user_ids": [customer["user_id"]]}, key=plain_key), 401)
    assert ok(call(http, f"/customer/info?end_user_id={customer['user_id']}"))["blocked"] is False


def test_a_wrong_field_is_422_naming_it(http):
    assert error_of(call(http, "/customer/new", {"user_id": unique("c"), "allowed_model_region": "mars"}), 422)[
        "param"] == "allowed_model_region"
    assert error_of(call(http, "/customer/new", {"user_id": unique("c"), "max_budget": [1]}), 422)["param"] \
        == "max_budget"
    assert error_of(call(http, "/customer/new", {"alias": "no id"}), 422)["param"] == "user_id"
    both = call(http, "/customer/new", {"user_id": unique("c"), "budget_id": "b", "max_budget": 1})
    assert error_of(both, 422)["param"] == "budget_id"
