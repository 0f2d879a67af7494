"""A client cannot cool a model group down for everyone: mock answers and mock
errors never touch deployment health, nor do failures the client caused itself
(its own short timeout, its disconnect); its num_retries is capped at the
configured value; mock_response is for admin keys unless the config allows it."""
import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.keys.helpers import generate_key
from tests.routing.scenarios import chat, openai_deployment, served_by


def two_deployments(upstream, **router_settings) -> dict:
    return {"model_list": [openai_deployment(upstream, "gpt-4.1", "dep-a"),
                           openai_deployment(upstream, "gpt-4.1", "dep-b")],
            "router_settings": {"num_retries": 3, "allowed_fails": 0, "cooldown_time": 60, **router_settings}}


def call(gateway, key: str, **extra) -> httpx.Response:
    return httpx.post(f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, timeout=30,
                      json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}], **extra})


def test_mock_response_is_refused_for_virtual_keys_by_default(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream))
    key = generate_key(gateway)["key"]

    answer = call(gateway, key, mock_response="canned")

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "mock_response"
    assert "allow_mock_response" in answer.json()["error"]["message"]
    assert call(gateway, MASTER_KEY, mock_response="canned").json()["choices"][0]["message"]["content"] == "canned"


@pytest.mark.parametrize("mock_error", ["litellm.RateLimitError", "litellm.InternalServerError", "litellm.Timeout",
                                        "litellm.AuthenticationError"])
def test_mock_errors_with_retries_never_cool_a_deployment_down(upstream, start_gateway, mock_error):
    config = {**two_deployments(upstream), "general_settings": {"allow_mock_response": True}}
    gateway = start_gateway(config)
    key = generate_key(gateway)["key"]

    for _ in range(3):
        assert call(gateway, key, mock_response=mock_error, num_retries=3).status_code >= 400
    answers = [chat(gateway, "gpt-4.1") for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 6
    assert len(served_by(upstream)) == 6


def test_a_clients_own_tiny_timeout_does_not_count_against_the_deployments(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream, num_retries=1))
    for name in ("dep-a", "dep-b"):
        upstream.set_behaviour(name, kind="slow", delay=0.05)

    impatient = [chat(gateway, "gpt-4.1", timeout=0.001) for _ in range(3)]
    header_timeout = httpx.post(f"{gateway.url}/v1/chat/completions", timeout=30,
                                headers={"Authorization": f"Bearer {MASTER_KEY}", "x-litellm-timeout": "0.001"},
                                json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
    patient = [chat(gateway, "gpt-4.1") for _ in range(4)]

    assert all(a.status_code == 504 for a in impatient) and header_timeout.status_code == 504
    assert [a.status_code for a in patient] == [200] * 4


def test_a_client_that_hangs_up_does_not_count_against_the_deployments(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream))
    for name in ("dep-a", "dep-b"):
        upstream.set_behaviour(name, kind="slow", delay=0.6)

    for _ in range(4):
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{gateway.url}/v1/chat/completions", timeout=0.2,
                       headers={"Authorization": f"Bearer {MASTER_KEY}"},
                       json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})
    upstream.reset()

    assert [chat(gateway, "gpt-4.1").status_code for _ in range(4)] == [200] * 4


def test_client_num_retries_is_capped_at_the_configured_value(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream, num_retries=1, disable_cooldowns=True))
    for name in ("dep-a", "dep-b"):
        upstream.set_behaviour(name, kind="status", status=500)

    body_retries = chat(gateway, "gpt-4.1", num_retries=4)
    sent_by_body = len(served_by(upstream))
    header_retries = httpx.post(f"{gateway.url}/v1/chat/completions", timeout=30,
                                headers={"Authorization": f"Bearer {MASTER_KEY}", "x-litellm-num-retries": "4"},
                                json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})

    assert body_retries.status_code == 500 and header_retries.status_code == 500
    assert body_retries.headers["x-litellm-call-id"]
    assert sent_by_body == 2, "the client raised num_retries above the configured 1"
    assert len(served_by(upstream)) == 4
    assert chat(gateway, "gpt-4.1", num_retries=0).status_code == 500
    assert len(served_by(upstream)) == 5, "a client may still ask for fewer retries"
