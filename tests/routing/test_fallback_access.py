"""Fallbacks stay in the caller's lane: every group a call may reach is checked
against the key, its team and its user; budgets reserve for the dearest group
that may be tried; per-key model limits apply to the group that serves."""
import concurrent.futures
import time

import httpx
import pytest

from tests.clock import clear_of_minute_end
from tests.conftest import MASTER_KEY
from tests.keys.helpers import admin, generate_key
from tests.routing.scenarios import openai_deployment, served_by


def two_groups(upstream, *extra_entries, **router_settings) -> dict:
    return {"model_list": [openai_deployment(upstream, "group-a", "model-a"),
                           openai_deployment(upstream, "group-b", "model-b"), *extra_entries],
            "router_settings": {"num_retries": 0, "disable_cooldowns": True, **router_settings}}


def chat(gateway, key: str, model: str = "group-a", **extra) -> httpx.Response:
    return httpx.post(f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, timeout=30,
                      json={"model": model, "messages": [{"role": "user", "content": "hello there"}],
                            "max_tokens": 5, **extra})


def test_a_key_limited_to_a_group_cannot_ask_for_another_as_its_fallback(upstream, start_gateway):
    gateway = start_gateway(two_groups(upstream))
    key = generate_key(gateway, models=["group-a"])["key"]
    upstream.set_behaviour("model-a", kind="status", status=500)

    answer = chat(gateway, key, fallbacks=["group-b"])

    assert answer.status_code == 403
    error = answer.json()["error"]
    assert error["type"] == "key_model_access_denied" and error["param"] == "fallbacks"
    assert "group-b" in error["message"]
    assert upstream.requests == [], "a refused call reached a provider"


def test_a_fallback_named_by_an_alias_or_a_wildcard_is_checked_as_the_group_it_reaches(upstream, start_gateway):
    wildcard = {"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_base": upstream.openai_base,
                                                             "api_key": upstream.api_key}}
    gateway = start_gateway(two_groups(upstream, wildcard, model_group_alias={"b-alias": "group-b"}))
    key = generate_key(gateway, models=["group-a"])["key"]
    upstream.set_behaviour("model-a", kind="status", status=500)

    by_alias = chat(gateway, key, fallbacks=["b-alias"])
    by_wildcard = chat(gateway, key, fallbacks=["openai/model-b"])

    assert by_alias.status_code == 403 and by_alias.json()["error"]["param"] == "fallbacks"
    assert by_wildcard.status_code == 403 and by_wildcard.json()["error"]["param"] == "fallbacks"
    assert upstream.requests == []


def test_a_key_of_a_team_limited_to_a_group_cannot_fall_back_beyond_the_team(upstream, start_gateway):
    gateway = start_gateway(two_groups(upstream))
    team = admin(gateway, "/team/new", {"team_alias": "a-only", "models": ["group-a"]}).json()
    key = generate_key(gateway, team_id=team["team_id"])["key"]
    upstream.set_behaviour("model-a", kind="status", status=500)

    answer = chat(gateway, key, fallbacks=["group-b"])

    assert answer.status_code == 403 and answer.json()["error"]["type"] == "team_model_access_denied"
    assert upstream.requests == []


@pytest.mark.parametrize("router_settings", [
    {"fallbacks": [{"group-a": ["group-b"]}]},
    {"fallbacks": [{"*": ["group-b"]}]},
    {"default_fallbacks": ["group-b"]},
], ids=["fallbacks", "wildcard-fallbacks", "default_fallbacks"])
def test_configured_fallbacks_skip_groups_the_key_may_not_call(upstream, start_gateway, router_settings):
    gateway = start_gateway(two_groups(upstream, **router_settings))
    limited = generate_key(gateway, models=["group-a"])["key"]
    open_key = generate_key(gateway)["key"]
    upstream.set_behaviour("model-a", kind="status", status=500)

    refused = chat(gateway, limited)
    assert refused.status_code == 500
    assert served_by(upstream) == ["model-a"], "group-b answered a key limited to group-a"

    # The fallback still serves keys that may call it.
    for key in (open_key, MASTER_KEY):
        answer = chat(gateway, key)
        assert answer.status_code == 200 and answer.headers["x-litellm-model-group"] == "group-b"


def test_a_context_window_fallback_the_key_may_not_call_is_skipped(upstream, start_gateway):
    gateway = start_gateway(two_groups(upstream, context_window_fallbacks=[{"group-a": ["group-b"]}]))
    key = generate_key(gateway, models=["group-a"])["key"]
    upstream.set_behaviour("model-a", kind="status", status=400, message="maximum context length is 8 tokens")

    answer = chat(gateway, key)

    assert answer.status_code == 400 and "context length" in answer.json()["error"]["message"]
    assert served_by(upstream) == ["model-a"]


def priced(upstream, group: str, model: str, price: float) -> dict:
    return openai_deployment(upstream, group, model, input_cost_per_token=price, output_cost_per_token=price)


def test_the_budget_reservation_covers_the_dearest_group_the_call_may_fall_back_to(upstream, start_gateway):
    # About 19 tokens are reserved per call: 0.000019 USD at cheap's price, 0.019 USD at dear's.
    config = {"model_list": [priced(upstream, "cheap", "cheap-model", 0.000001),
                             priced(upstream, "dear", "dear-model", 0.001)],
              "router_settings": {"num_retries": 0, "disable_cooldowns": True, "fallbacks": [{"cheap": ["dear"]}]}}
    gateway = start_gateway(config)
    upstream.set_behaviour("cheap-model", kind="slow", delay=1.0)

    def two_at_once(key: str) -> list[int]:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            first = pool.submit(chat, gateway, key, "cheap")
            time.sleep(0.4)  # the first is in flight, its reservation held
            second = pool.submit(chat, gateway, key, "cheap")
            return [first.result().status_code, second.result().status_code]

    may_fall_back = generate_key(gateway, max_budget=0.01)["key"]
    cheap_only = generate_key(gateway, max_budget=0.01, models=["cheap"])["key"]

    assert two_at_once(may_fall_back) == [200, 422], "the reservation did not cover the dear fallback"
    assert two_at_once(cheap_only) == [200, 200]
    assert served_by(upstream) == ["cheap-model"] * 3


def test_a_budgeted_call_never_falls_back_to_an_unpriced_group(upstream, start_gateway):
    config = {"model_list": [priced(upstream, "cheap", "cheap-model", 0.000001),
                             openai_deployment(upstream, "unpriced", "some-private-model")],
              "router_settings": {"num_retries": 0, "disable_cooldowns": True, "fallbacks": [{"cheap": ["unpriced"]}]}}
    gateway = start_gateway(config)
    key = generate_key(gateway, max_budget=10)["key"]
    upstream.set_behaviour("cheap-model", kind="status", status=500)

    configured = chat(gateway, key, "cheap")
    requested = chat(gateway, key, "cheap", fallbacks=["unpriced"])

    assert configured.status_code == 500
    assert requested.status_code == 400 and requested.json()["error"]["code"] == "model_not_priced"
    assert requested.json()["error"]["param"] == "fallbacks"
    assert served_by(upstream) == ["cheap-model"]


def test_a_per_key_model_limit_applies_to_the_fallback_group_that_serves(upstream, start_gateway):
    gateway = start_gateway(two_groups(upstream, fallbacks=[{"group-a": ["group-b"]}]))
    key = generate_key(gateway, model_rpm_limit={"group-b": 1})["key"]
    upstream.set_behaviour("model-a", kind="status", status=500)
    clear_of_minute_end()

    first = chat(gateway, key)
    second = chat(gateway, key)

    assert first.status_code == 200 and first.headers["x-litellm-model-group"] == "group-b"
    assert second.status_code == 429
    assert "model_per_key" in second.json()["error"]["message"]
    assert served_by(upstream) == ["model-a", "model-b", "model-a"]
