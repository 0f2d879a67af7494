"""/budget/* over real HTTP against the live gateway, with LiteLLM's shapes."""
from __future__ import annotations

import uuid

from tests.keys.test_teams_api import call, error_of, new_key, ok, unique


def new_budget(http, **fields) -> dict:
    return ok(call(http, "/budget/new", {"budget_id": unique("budget"), **fields}))


def test_budget_new_returns_the_row(http):
    budget = new_budget(http, max_budget=10, soft_budget=8, max_parallel_requests=2, tpm_limit=1000,
                        rpm_limit=20, budget_duration="30d")
    assert (budget["max_budget"], budget["soft_budget"]) == (10.0, 8.0)
    assert (budget["max_parallel_requests"], budget["tpm_limit"], budget["rpm_limit"]) == (2, 1000, 20)
    assert budget["budget_duration"] == "30d" and budget["budget_reset_at"] is not None
    assert budget["created_by"] == "master_key"


def test_budget_new_makes_a_uuid_budget_id_and_refuses_an_existing_one(http):
    budget = ok(call(http, "/budget/new", {"max_budget": 1}))
    assert uuid.UUID(budget["budget_id"])
    error = error_of(call(http, "/budget/new", {"budget_id": budget["budget_id"]}), 400)
    assert error["param"] == "budget_id"


def test_budget_info_is_a_post_listing_the_budgets_asked_for(http):
    first, second = new_budget(http, max_budget=1), new_budget(http, max_budget=2)
    rows = ok(call(http, "/budget/info", {"budgets": [second["budget_id"], first["budget_id"]]}))
    assert [(row["budget_id"], row["max_budget"]) for row in rows] == [(second["budget_id"], 2.0),
                                                                        (first["budget_id"], 1.0)]
    error = error_of(call(http, "/budget/info", {"budgets": [first["budget_id"], unique("missing")]}), 404)
    assert error["param"] == "budgets"
    assert error_of(call(http, "/budget/info", {"budgets": []}), 422)["param"] == "budgets"


def test_budget_update_changes_the_fields_given(http):
    budget = new_budget(http, max_budget=1, rpm_limit=5)
    updated = ok(call(http, "/budget/update", {"budget_id": budget["budget_id"], "max_budget": 4.25,
                                               "budget_duration": "1d"}))
    assert updated["max_budget"] == 4.25 and updated["rpm_limit"] == 5 and updated["budget_reset_at"]


def test_a_key_with_a_budget_id_shows_it_and_loses_it_when_the_budget_is_deleted(http):
    budget = new_budget(http, max_budget=3)
    raw_key = new_key(http, budget_id=budget["budget_id"])
    assert ok(call(http, f"/key/info?key={raw_key}"))["info"]["budget_id"] == budget["budget_id"]
    deleted = ok(call(http, "/budget/delete", {"id": budget["budget_id"]}))
    assert deleted["budget_id"] == budget["budget_id"]
    assert ok(call(http, f"/key/info?key={raw_key}"))["info"]["budget_id"] is None
    assert error_of(call(http, "/budget/info", {"budgets": [budget["budget_id"]]}), 404)


def test_an_unknown_budget_is_404_naming_the_field(http):
    assert error_of(call(http, "/budget/update", {"budget_id": unique("missing"), "max_budget": 1}), 404)["param"] \
        == "budget_id"
    assert error_of(call(http, "/budget/delete", {"id": unique("missing")}), 404)["param"] == "budget_id"


def test_budget_list_shows_created_budgets(http):
    budget = new_budget(http)
    assert budget["budget_id"] in [row["budget_id"] for row in ok(call(http, "/budget/list"))]


def test_a_non_admin_key_gets_401_on_budget_routes_and_nothing_changes(http):
    plain_key = new_key(http)
    budget_id = unique("budget")
    error = error_of(call(http, "/budget/new", {"budget_id": budget_id}, key=plain_key), 401)
    assert error["message"].startswith("Only proxy admin can be used to")
    assert error_of(call(http, "/budget/info", {"budgets": [budget_id]}), 404)
    budget = new_budget(http, max_budget=1)
    assert error_of(call(http, "/budget/update", {"budget_id": budget["budget_id"], "max_budget": 99},
                         key=plain_key), 401)
    assert error_of(call(http, "/budget/delete", {"id": budget["budget_id"]}, key=plain_key), 401)
    assert error_of(call(http, "/budget/info", {"budgets": [budget["budget_id"]]}, key=plain_key), 401)
    assert ok(call(http, "/budget/info", {"budgets": [budget["budget_id"]]}))[0]["max_budget"] == 1.0


def test_a_wrong_field_type_is_422_naming_the_field(http):
    assert error_of(call(http, "/budget/new", {"max_budget": "ten"}), 422)["param"] == "max_budget"
    assert error_of(call(http, "/budget/new", {"rpm_limit": 1.5}), 422)["param"] == "rpm_limit"
    assert error_of(call(http, "/budget/delete", {}), 422)["param"] == "id"
