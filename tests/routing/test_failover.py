"""Retries, failover, cooldowns and fallbacks, over real HTTP against the fake upstream."""
import httpx
import orjson
import pytest

from tests.conftest import MASTER_KEY
from tests.routing.scenarios import chat, openai_deployment, served_by


def two_deployments(upstream, **router_settings) -> dict:
    return {"model_list": [openai_deployment(upstream, "gpt-4.1", "dep-a"),
                           openai_deployment(upstream, "gpt-4.1", "dep-b")],
            "router_settings": {"num_retries": 3, "allowed_fails": 1, "cooldown_time": 60, **router_settings}}


def test_a_deployment_answering_429_is_cooled_down_and_traffic_moves_on(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream))
    upstream.set_behaviour("dep-a", kind="status", status=429, retry_after=1)

    answers = [chat(gateway, "gpt-4.1") for _ in range(20)]

    assert [a.status_code for a in answers] == [200] * 20
    assert served_by(upstream).count("dep-a") <= 1
    assert served_by(upstream).count("dep-b") == 20


def test_a_500_is_retried_on_the_other_deployment(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream, allowed_fails=100))
    upstream.set_behaviour("dep-a", kind="status", status=500)

    answers = [chat(gateway, "gpt-4.1") for _ in range(12)]

    assert [a.status_code for a in answers] == [200] * 12
    retried = [a for a in answers if a.headers["x-litellm-attempted-retries"] == "1"]
    assert retried, "dep-a was never tried: the shuffle should have picked it at least once in 12 calls"
    assert served_by(upstream).count("dep-a") == len(retried)


def test_allowed_fails_then_cooldown(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream, allowed_fails=1))
    upstream.set_behaviour("dep-a", kind="status", status=500)

    for _ in range(30):
        assert chat(gateway, "gpt-4.1").status_code == 200

    # One failure allowed, the second cools it down for a minute.
    assert served_by(upstream).count("dep-a") == 2


@pytest.mark.parametrize("status", [500, 503, 429, 401])
def test_a_lone_deployment_is_never_cooled_down_so_the_first_call_after_it_recovers_succeeds(upstream, start_gateway,
                                                                                             status):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "only")],
              "router_settings": {"num_retries": 0, "allowed_fails": 0, "cooldown_time": 60}}
    gateway = start_gateway(config)
    upstream.set_behaviour("only", kind="status", status=status, message="provider trouble")

    failed = [chat(gateway, "gpt-4.1") for _ in range(3)]
    upstream.set_behaviour("only")  # the provider recovered
    recovered = chat(gateway, "gpt-4.1")

    assert [a.status_code for a in failed] == [status] * 3
    assert all("provider trouble" in a.json()["error"]["message"] for a in failed)
    assert recovered.status_code == 200
    assert served_by(upstream) == ["only"] * 4


def test_a_lone_deployment_that_fails_is_tried_again_on_each_call_before_its_fallback(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "only"),
                             openai_deployment(upstream, "gpt-4.1-mini", "mini")],
              "router_settings": {"num_retries": 0, "allowed_fails": 0, "cooldown_time": 60,
                                  "fallbacks": [{"gpt-4.1": ["gpt-4.1-mini"]}]}}
    gateway = start_gateway(config)
    upstream.set_behaviour("only", kind="status", status=503)

    answers = [chat(gateway, "gpt-4.1") for _ in range(3)]

    assert [a.status_code for a in answers] == [200] * 3
    assert served_by(upstream) == ["only", "mini"] * 3


def test_when_the_whole_group_is_down_the_fallback_group_answers(upstream, start_gateway):
    config = two_deployments(upstream, num_retries=1, fallbacks=[{"gpt-4.1": ["gpt-4.1-mini"]}])
    config["model_list"].append(openai_deployment(upstream, "gpt-4.1-mini", "mini"))
    gateway = start_gateway(config)
    upstream.set_behaviour("dep-a", kind="status", status=500)
    upstream.set_behaviour("dep-b", kind="status", status=500)

    answer = chat(gateway, "gpt-4.1")

    assert answer.status_code == 200
    assert answer.json()["model"] == "gpt-4.1-mini"
    assert answer.headers["x-litellm-model-group"] == "gpt-4.1-mini"
    assert answer.headers["x-litellm-attempted-fallbacks"] == "1"
    assert served_by(upstream)[-1] == "mini"


def test_a_context_window_error_goes_to_the_context_fallback_without_retrying(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "small", "small-ctx"),
                             openai_deployment(upstream, "large", "large-ctx"),
                             openai_deployment(upstream, "other", "other-model")],
              "router_settings": {"num_retries": 3, "context_window_fallbacks": [{"small": ["large"]}],
                                  "fallbacks": [{"small": ["other"]}]}}
    gateway = start_gateway(config)
    upstream.set_behaviour("small-ctx", kind="status", status=400,
                           message="This model's maximum context length is 8192 tokens.")

    answer = chat(gateway, "small")

    assert answer.status_code == 200
    assert answer.headers["x-litellm-model-group"] == "large"
    assert served_by(upstream) == ["small-ctx", "large-ctx"]


def test_a_plain_bad_request_is_neither_retried_nor_sent_to_fallbacks(upstream, start_gateway):
    config = two_deployments(upstream, fallbacks=[{"gpt-4.1": ["gpt-4.1-mini"]}])
    config["model_list"].append(openai_deployment(upstream, "gpt-4.1-mini", "mini"))
    gateway = start_gateway(config)
    upstream.set_behaviour("dep-a", kind="status", status=400, message="bad tool schema")
    upstream.set_behaviour("dep-b", kind="status", status=400, message="bad tool schema")

    answer = chat(gateway, "gpt-4.1")

    assert answer.status_code == 400 and "bad tool schema" in answer.json()["error"]["message"]
    assert len(served_by(upstream)) == 1


def test_when_every_deployment_cools_down_the_client_gets_429_naming_the_group(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream, num_retries=1, cooldown_time=30))
    upstream.set_behaviour("dep-a", kind="status", status=429)
    upstream.set_behaviour("dep-b", kind="status", status=429)

    chat(gateway, "gpt-4.1")
    answer = chat(gateway, "gpt-4.1")

    assert answer.status_code == 429
    assert "gpt-4.1" in answer.json()["error"]["message"]
    assert 25 <= int(answer.headers["retry-after"]) <= 30
    assert len(served_by(upstream)) == 2


def test_per_request_fallbacks_and_num_retries(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "main", "main-model"),
                             openai_deployment(upstream, "spare", "spare-model")],
              "router_settings": {"num_retries": 3, "disable_cooldowns": True}}
    gateway = start_gateway(config)
    upstream.set_behaviour("main-model", kind="status", status=500)

    answer = chat(gateway, "main", num_retries=0, fallbacks=["spare"])

    assert answer.status_code == 200 and answer.headers["x-litellm-model-group"] == "spare"
    assert served_by(upstream) == ["main-model", "spare-model"]


def test_a_stream_failing_before_its_first_chunk_is_retried(upstream, start_gateway):
    gateway = start_gateway(two_deployments(upstream, allowed_fails=100))
    upstream.set_behaviour("dep-a", kind="status", status=500)

    for _ in range(8):
        with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                          json={"model": "gpt-4.1", "stream": True, "messages": [{"role": "user", "content": "x"}]}) as r:
            assert r.status_code == 200
            assert list(r.iter_lines())[-2:] == ["data: [DONE]", ""] or "data: [DONE]" in r.read().decode()


def test_a_stream_that_started_is_never_retried(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "dep-a", timeout=0.5),
                             openai_deployment(upstream, "gpt-4.1", "dep-b", timeout=0.5)],
              "router_settings": {"num_retries": 3, "disable_cooldowns": True}}
    gateway = start_gateway(config)
    for name in ("dep-a", "dep-b"):
        upstream.set_behaviour(name, text="one two three", chunk_delay=1.5)

    with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                      json={"model": "gpt-4.1", "stream": True, "messages": [{"role": "user", "content": "x"}]}) as r:
        frames = [line for line in r.iter_lines() if line.startswith("data: ")]

    assert r.status_code == 200
    assert frames[-1] == "data: [DONE]"
    assert "error" in orjson.loads(frames[-2][6:])
    assert len(upstream.requests) == 1, "a started stream was sent again"


def test_a_stream_stalling_before_its_first_chunk_is_retried_after_stream_timeout(upstream, start_gateway):
    config = {"model_list": [openai_deployment(upstream, "gpt-4.1", "dep-a", stream_timeout=0.5),
                             openai_deployment(upstream, "gpt-4.1", "dep-b", stream_timeout=0.5)],
              "router_settings": {"num_retries": 2, "allowed_fails": 0, "cooldown_time": 60}}
    gateway = start_gateway(config)
    upstream.set_behaviour("dep-a", kind="slow", delay=5)

    answers = []
    for _ in range(4):
        with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                          json={"model": "gpt-4.1", "stream": True,
                                "messages": [{"role": "user", "content": "x"}]}, timeout=10) as r:
            answers.append((r.status_code, r.read()))

    assert all(status == 200 and b"Hello from the fake upstream" not in b"" for status, _ in answers)
    assert all(b"[DONE]" in body and b'"error"' not in body for _, body in answers)
    assert served_by(upstream).count("dep-a") <= 1
