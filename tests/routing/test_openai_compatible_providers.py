"""Providers that speak OpenAI's API at a known base URL (gateway/config/providers.py):
each by its LiteLLM prefix, with its base URL and key from the deployment or
from the provider's own environment variables, over real HTTP to the fake upstream."""
from __future__ import annotations

import uuid

from tests.routing.scenarios import chat


def deployment(group: str, model: str, **params) -> dict:
    return {"model_name": group, "litellm_params": {"model": model, **params},
            "model_info": {"id": f"{group}-{uuid.uuid4().hex[:8]}"}}


def test_a_groq_deployment_takes_its_base_url_and_key_from_groqs_variables(upstream, start_gateway):
    gateway = start_gateway({"model_list": [deployment("fast", "groq/llama-3.1-8b-instant")]},
                            env={"GROQ_API_BASE": upstream.openai_base, "GROQ_API_KEY": upstream.api_key})

    answer = chat(gateway, "fast")

    assert answer.status_code == 200, answer.text
    sent = upstream.requests[-1]
    assert (sent.path, sent.body["model"]) == ("/v1/chat/completions", "llama-3.1-8b-instant")
    assert sent.headers["authorization"] == f"Bearer {upstream.api_key}"


def test_a_provider_never_gets_another_providers_key(upstream, start_gateway):
    # No GROQ_API_KEY: LiteLLM would fall back to OPENAI_API_KEY and send it to Groq.
    gateway = start_gateway({"model_list": [deployment("fast", "groq/llama-3.1-8b-instant")]},
                            env={"GROQ_API_BASE": upstream.openai_base, "GROQ_API_KEY": "",
                                 "OPENAI_API_KEY": upstream.api_key})

    answer = chat(gateway, "fast")

    assert answer.status_code == 401  # the fake upstream wants its key, and nobody sent one
    assert "authorization" not in upstream.requests[-1].headers


def test_ollama_is_called_on_its_openai_compatible_api_under_v1(upstream, start_gateway):
    gateway = start_gateway({"model_list": [
        deployment("local", "ollama_chat/qwen3:8b", api_base=upstream.url, api_key=upstream.api_key),
        deployment("local-v1", "ollama/llama3.2", api_base=f"{upstream.url}/v1", api_key=upstream.api_key),
    ]})

    assert chat(gateway, "local").status_code == 200
    assert chat(gateway, "local-v1").status_code == 200

    first, second = upstream.requests[-2:]
    assert (first.path, first.body["model"]) == ("/v1/chat/completions", "qwen3:8b")
    assert (second.path, second.body["model"]) == ("/v1/chat/completions", "llama3.2")


def test_fireworks_models_get_the_account_path_fireworks_expects(upstream, start_gateway):
    gateway = start_gateway({"model_list": [
        deployment("fw", "fireworks_ai/llama-v3p1-8b-instruct"),
        deployment("fw-full", "fireworks_ai/accounts/acme/models/tuned"),
    ]}, env={"FIREWORKS_API_BASE": upstream.openai_base, "FIREWORKS_API_KEY": upstream.api_key})

    chat(gateway, "fw")
    chat(gateway, "fw-full")

    assert [request.body["model"] for request in upstream.requests[-2:]] == [
        "accounts/fireworks/models/llama-v3p1-8b-instruct", "accounts/acme/models/tuned"]


def test_a_bare_model_name_goes_to_openai_with_openais_variables(upstream, start_gateway):
    gateway = start_gateway({"model_list": [deployment("gpt-4o", "gpt-4o")]},
                            env={"OPENAI_API_BASE": upstream.openai_base, "OPENAI_API_KEY": upstream.api_key})

    answer = chat(gateway, "gpt-4o")

    assert answer.status_code == 200, answer.text
    assert upstream.requests[-1].body["model"] == "gpt-4o"


def test_organization_extra_body_and_credentials_from_the_credential_list_are_sent(upstream, start_gateway):
    gateway = start_gateway({
        "credential_list": [{"credential_name": "fake-openai",
                             "credential_values": {"api_base": upstream.openai_base, "api_key": upstream.api_key}}],
        "model_list": [deployment("tuned", "openai/gpt-4.1", litellm_credential_name="fake-openai",
                                  organization="org-acme", extra_body={"top_k": 20})],
    })

    assert chat(gateway, "tuned").status_code == 200
    assert chat(gateway, "tuned", top_k=5).status_code == 200

    first, second = upstream.requests[-2:]
    assert first.headers["openai-organization"] == "org-acme"
    assert (first.body["top_k"], second.body["top_k"]) == (20, 5)
