"""Restrictions a key carries are enforced or refused, never stored and ignored:
allowed_routes and key_type on the proxy and management routes, and a 400 for
model_max_budget and the others the gateway does not enforce (issue 11, item 5)."""
from __future__ import annotations

import httpx
import pytest

from tests.conftest import AZURE_API_VERSION
from tests.keys.test_teams_api import call, error_of, ok, unique
from tests.keys.test_users_api import new_user

CHAT = {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}]}


def post(http, path: str, key: str, body: dict | None = None) -> httpx.Response:
    return http.post(path, headers={"Authorization": f"Bearer {key}"}, json=body if body is not None else CHAT)


def get(http, path: str, key: str) -> httpx.Response:
    return http.get(path, headers={"Authorization": f"Bearer {key}"})


def route_refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and "not allowed to call this route" in response.text


def admin_user_key(http, **key_fields) -> dict:
    """A key of a proxy_admin user: every management route is open to it, unless its routes say otherwise."""
    user = new_user(http, user_role="proxy_admin", auto_create_key=False)
    return ok(call(http, "/key/generate", {"user_id": user["user_id"], **key_fields}))


def test_allowed_routes_limit_a_key_to_the_routes_it_names(http):
    key = ok(call(http, "/key/generate", {"allowed_routes": ["/v1/chat/completions"]}))["key"]

    assert post(http, "/v1/chat/completions", key).status_code == 200
    assert route_refused(post(http, "/chat/completions", key))
    assert route_refused(post(http, "/v1/embeddings", key, {"model": "text-embedding-3-small", "input": "hi"}))
    assert route_refused(post(http, "/v1/responses", key, {"model": "mock-gpt", "input": "hi"}))
    assert route_refused(get(http, "/v1/models", key))
    azure = http.post(f"/openai/deployments/mock-gpt/chat/completions?api-version={AZURE_API_VERSION}",
                      headers={"api-key": key}, json={"messages": CHAT["messages"]})
    assert route_refused(azure)
    assert route_refused(get(http, "/key/info", key))
    assert error_of(post(http, "/chat/completions", key), 403)["param"] == "allowed_routes"


def test_allowed_routes_take_prefixes_wildcards_and_route_groups(http):
    prefixed = ok(call(http, "/key/generate", {"allowed_routes": ["/v1"]}))["key"]
    wildcard = ok(call(http, "/key/generate", {"allowed_routes": ["/v1/chat/*"]}))["key"]
    grouped = ok(call(http, "/key/generate", {"allowed_routes": ["openai_routes"]}))["key"]

    assert post(http, "/v1/chat/completions", prefixed).status_code == 200
    assert get(http, "/v1/models", prefixed).status_code == 200
    assert route_refused(post(http, "/chat/completions", prefixed))
    assert post(http, "/v1/chat/completions", wildcard).status_code == 200
    assert route_refused(get(http, "/v1/models", wildcard))
    assert post(http, "/chat/completions", grouped).status_code == 200
    assert post(http, "/engines/mock-gpt/chat/completions", grouped, {"messages": CHAT["messages"]}).status_code \
        == 200
    assert route_refused(get(http, "/key/info", grouped))


def test_an_llm_api_key_calls_models_and_no_management_route(http):
    key = admin_user_key(http, key_type="llm_api")

    assert key["key_type"] == "llm_api" and key["allowed_routes"] == ["llm_api_routes"]
    assert post(http, "/v1/chat/completions", key["key"]).status_code == 200
    assert get(http, "/v1/models", key["key"]).status_code == 200
    assert route_refused(call(http, "/key/generate", {}, key=key["key"]))
    assert route_refused(call(http, "/user/new", {"user_id": unique("user")}, key=key["key"]))
    assert route_refused(get(http, "/key/info", key["key"]))


def test_a_management_key_manages_and_calls_no_model(http):
    key = admin_user_key(http, key_type="management")

    assert ok(call(http, "/key/generate", {}, key=key["key"]))["key"].startswith("sk-")
    assert ok(call(http, "/team/new", {"team_id": unique("team")}, key=key["key"]))
    assert route_refused(post(http, "/v1/chat/completions", key["key"]))
    assert route_refused(get(http, "/v1/models", key["key"]))
    assert route_refused(get(http, "/spend/logs", key["key"]))  # not one of management_routes


def test_a_read_only_key_of_an_admin_reads_and_changes_nothing(http):
    key = admin_user_key(http, key_type="read_only")
    victim = ok(call(http, "/key/generate", {}))

    assert ok(call(http, "/key/list", key=key["key"]))["total_count"] >= 1
    assert ok(call(http, f"/key/info?key={victim['token']}", key=key["key"]))
    for path, body in [("/key/generate", {}), ("/key/update", {"key": victim["token"], "max_budget": 1}),
                       ("/key/delete", {"keys": [victim["token"]]}), ("/key/block", {"key": victim["token"]}),
                       (f"/key/{victim['token']}/regenerate", {}), ("/user/new", {"user_id": unique("user")}),
                       ("/team/new", {"team_id": unique("team")}), ("/budget/new", {}),
                       ("/customer/new", {"user_id": unique("customer")})]:
        assert route_refused(call(http, path, body, key=key["key"])), path
    assert route_refused(post(http, "/v1/chat/completions", key["key"]))
    assert post(http, "/v1/chat/completions", victim["key"]).status_code == 200


def test_a_key_type_change_restricts_a_key_already_in_use(http):
    key = admin_user_key(http)
    assert post(http, "/v1/chat/completions", key["key"]).status_code == 200

    ok(call(http, "/key/update", {"key": key["token"], "key_type": "management"}))

    assert route_refused(post(http, "/v1/chat/completions", key["key"]))


@pytest.mark.parametrize(("body", "param"), [
    ({"key_type": "llm_api", "allowed_routes": ["/key/generate"]}, "allowed_routes"),
    ({"allowed_routes": ["chat/completions"]}, "allowed_routes"),
    ({"allowed_routes": ["every_route"]}, "allowed_routes"),
    ({"model_max_budget": {"gpt-4.1": {"budget_limit": 1.0, "time_period": "30d"}}}, "model_max_budget"),
    ({"guardrails": ["pii-mask"]}, "guardrails"),
    ({"enforced_params": ["user"]}, "enforced_params"),
])
def test_a_restriction_the_gateway_would_not_enforce_is_a_400_and_makes_no_key(http, body, param):
    alias = unique("refused")

    generated = call(http, "/key/generate", {"key_alias": alias, **body})
    updated = call(http, "/key/update", {"key": ok(call(http, "/key/generate", {}))["token"], **body})

    assert error_of(generated, 400)["param"] == param
    assert error_of(updated, 400)["param"] == param
    assert ok(call(http, f"/key/list?key_alias={alias}"))["total_count"] == 0


def test_an_unknown_key_type_is_refused(http):
    assert error_of(call(http, "/key/generate", {"key_type": "superuser"}), 422)["param"] == "key_type"
