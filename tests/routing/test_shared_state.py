"""Two gateway processes on one Redis agree on cooldowns and counters."""
import os

import httpx

from tests.clock import clear_of_minute_end
from tests.conftest import MASTER_KEY
from tests.routing.scenarios import chat, openai_deployment, served_by

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def test_a_cooldown_set_by_one_instance_is_seen_by_the_other(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "dep-a", order=1),
                             openai_deployment(upstream, "gpt-4.1", "dep-b", order=2)],
              "router_settings": {"num_retries": 1, "cooldown_time": 60}}
    first = start_gateway(config, env={"REDIS_URL": REDIS_URL})
    second = start_gateway(config, env={"REDIS_URL": REDIS_URL})
    upstream.set_behaviour("dep-a", kind="status", status=429)

    assert chat(first, "gpt-4.1").status_code == 200  # dep-a 429 -> cooled; retried on dep-b
    answers = [chat(second, "gpt-4.1") for _ in range(10)]

    assert [a.status_code for a in answers] == [200] * 10
    assert served_by(upstream).count("dep-a") == 1


def test_rpm_counts_are_shared_between_instances(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "capped", rpm=4)]}
    first = start_gateway(config, env={"REDIS_URL": REDIS_URL})
    second = start_gateway(config, env={"REDIS_URL": REDIS_URL})
    clear_of_minute_end()

    statuses = [chat(gateway, "gpt-4.1").status_code for gateway in (first, second) * 3]

    assert statuses == [200] * 4 + [429] * 2


def test_a_redis_outage_degrades_to_local_state_instead_of_failing(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "dep-a")]}
    gateway = start_gateway(config, env={"REDIS_URL": "redis://127.0.0.1:1/0"})

    answers = [chat(gateway, "gpt-4.1") for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3


def test_model_info_shows_live_state_without_secrets(upstream, start_gateway):
    # dep-a is preferred (order 1) until it cools down; a lone deployment never would.
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "dep-a", rpm=100, tpm=5000, order=1),
                             openai_deployment(upstream, "gpt-4.1", "dep-b", order=2)],
              "router_settings": {"num_retries": 0, "cooldown_time": 60}}
    gateway = start_gateway(config, env={"REDIS_URL": REDIS_URL})
    chat(gateway, "gpt-4.1")
    upstream.set_behaviour("dep-a", kind="status", status=429)
    chat(gateway, "gpt-4.1")

    answer = httpx.get(f"{gateway.url}/v1/model/info", headers={"Authorization": f"Bearer {MASTER_KEY}"})

    row, other = answer.json()["data"]
    assert other["model_info"]["is_cooling_down"] is False
    assert row["model_name"] == "gpt-4.1"
    assert row["model_info"]["rpm"] == 100 and row["model_info"]["rpm_used"] == 2
    assert row["model_info"]["tpm_used"] == 6
    assert row["model_info"]["is_cooling_down"] is True and row["model_info"]["cooldown_until"]
    assert "api_key" not in row["litellm_params"] and upstream.api_key not in answer.text


def test_model_info_needs_the_master_key(gateway):
    assert httpx.get(f"{gateway.url}/model/info").status_code == 401


def test_health_calls_every_deployment_and_lists_the_unhealthy_with_their_error(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "fine"),
                             openai_deployment(upstream, "gpt-4.1", "broken"),
                             openai_deployment(upstream, "embedder", "text-embedding-3-small")]}
    gateway = start_gateway(config)
    upstream.set_behaviour("broken", kind="status", status=500, message="kaput")

    answer = httpx.get(f"{gateway.url}/health", headers={"Authorization": f"Bearer {MASTER_KEY}"}, timeout=30)

    body = answer.json()
    assert body["healthy_count"] == 2 and body["unhealthy_count"] == 1
    assert body["unhealthy_endpoints"][0]["model"] == "openai/broken"
    assert "kaput" in body["unhealthy_endpoints"][0]["error"]
    assert {r.path for r in upstream.requests} == {"/v1/chat/completions", "/v1/embeddings"}
    assert upstream.api_key not in answer.text
