"""Wildcard model names (routing/deployments.py): `model_name: "*"` with `model: "*"`
passes the client's model name through to the provider it names or LiteLLM would
infer; `groq/*` or `ollama/*` pass what the "*" matched."""
from __future__ import annotations

import httpx

from tests.conftest import auth
from tests.routing.scenarios import chat


def test_the_catch_all_passes_the_model_name_through_to_the_inferred_provider(upstream, start_gateway):
    gateway = start_gateway({"model_list": [{"model_name": "*", "litellm_params": {"model": "*"}}]},
                            env={"OPENAI_API_BASE": upstream.openai_base, "OPENAI_API_KEY": upstream.api_key,
                                 "GROQ_API_BASE": upstream.openai_base, "GROQ_API_KEY": upstream.api_key})

    gpt = chat(gateway, "gpt-4o-mini")
    groq = chat(gateway, "groq/llama-3.1-8b-instant")

    assert (gpt.status_code, groq.status_code) == (200, 200), (gpt.text, groq.text)
    assert [request.body["model"] for request in upstream.requests[-2:]] == ["gpt-4o-mini", "llama-3.1-8b-instant"]
    assert gpt.json()["model"] == "gpt-4o-mini"
    assert float(gpt.headers["x-litellm-response-cost"]) > 0  # priced as openai/gpt-4o-mini


def test_the_catch_all_refuses_a_name_it_cannot_serve_as_an_invalid_model(upstream, start_gateway):
    gateway = start_gateway({"model_list": [{"model_name": "*", "litellm_params": {"model": "*"}}]},
                            env={"OPENAI_API_BASE": upstream.openai_base, "OPENAI_API_KEY": upstream.api_key})

    for name in ("claude-3-5-sonnet", "some-unknown-model"):
        answer = chat(gateway, name)
        assert answer.status_code == 400
        assert answer.json()["error"]["param"] == "model"
    assert upstream.requests == []


def test_the_catch_alls_own_key_never_goes_to_another_provider(upstream, start_gateway):
    gateway = start_gateway({"model_list": [{"model_name": "*", "litellm_params": {
        "model": "*", "api_key": "sk-meant-for-openai"}}]},
        env={"GROQ_API_BASE": upstream.openai_base, "GROQ_API_KEY": upstream.api_key})

    answer = chat(gateway, "groq/llama-3.1-8b-instant")

    assert answer.status_code == 200, answer.text
    assert upstream.requests[-1].headers["authorization"] == f"Bearer {upstream.api_key}"


def test_a_provider_wildcard_fills_the_star_of_its_model(upstream, start_gateway):
    gateway = start_gateway({"model_list": [
        {"model_name": "ollama/*", "litellm_params": {"model": "ollama_chat/*", "api_base": upstream.url,
                                                      "api_key": upstream.api_key}},
        {"model_name": "pinned", "litellm_params": {"model": "openai/pinned-model", "api_base": upstream.openai_base,
                                                    "api_key": upstream.api_key}},
    ]})

    answer = chat(gateway, "ollama/qwen3:8b")
    exact = chat(gateway, "pinned")

    assert (answer.status_code, exact.status_code) == (200, 200)
    assert [(r.path, r.body["model"]) for r in upstream.requests[-2:]] == [
        ("/v1/chat/completions", "qwen3:8b"), ("/v1/chat/completions", "pinned-model")]
    models = httpx.get(f"{gateway.url}/v1/models", headers=auth(), timeout=10).json()
    assert [model["id"] for model in models["data"]] == ["pinned", "ollama/*"]


def test_a_virtual_key_limited_to_one_name_may_not_use_others_through_the_wildcard(upstream, start_gateway):
    gateway = start_gateway({"model_list": [{"model_name": "*", "litellm_params": {"model": "*"}}]},
                            env={"OPENAI_API_BASE": upstream.openai_base, "OPENAI_API_KEY": upstream.api_key})
    key = httpx.post(f"{gateway.url}/key/generate", headers=auth(), json={"models": ["gpt-4o-mini"]},
                     timeout=10).json()["key"]

    allowed = httpx.post(f"{gateway.url}/v1/chat/completions", headers=auth(key), timeout=30,
                         json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]})
    refused = httpx.post(f"{gateway.url}/v1/chat/completions", headers=auth(key), timeout=30,
                         json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})

    assert allowed.status_code == 200, allowed.text
    assert refused.status_code == 401 or refused.status_code == 403
    assert upstream.requests[-1].body["model"] == "gpt-4o-mini"
