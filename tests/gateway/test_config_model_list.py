"""gateway/config/model_list.py: each model_list entry read as LiteLLM reads it
(provider inference, credentials), or left out with the reason, never fatal."""
from __future__ import annotations

import logging

import pytest

from gateway.config.loader import load_config
from tests.gateway.config_files import LITELLM_STYLE_CONFIG, SECRET_KEY, unset_env, write_config


def test_a_deployment_naming_an_unset_environment_variable_is_skipped_naming_the_field(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_NEVER_SET")
    path = write_config(tmp_path, """\
        model_list:
          - model_name: group-name
            litellm_params:
              model: openai/gpt-4.1
              api_key: os.environ/GW_TEST_NEVER_SET
          - model_name: other
            litellm_params: {model: mock/echo}
        """)

    config = load_config(path)

    assert [entry.model_name for entry in config.model_list] == ["other"]
    [skipped] = config.skipped
    assert skipped.entry == "model_list[0] (group-name)"
    assert skipped.reason == "litellm_params.api_key: environment variable GW_TEST_NEVER_SET is not set"
    assert config.report()[0] == (logging.ERROR, f"{path}: model_list[0] (group-name): not served: "
                                                 "litellm_params.api_key: environment variable GW_TEST_NEVER_SET "
                                                 "is not set")


@pytest.mark.parametrize(("model", "provider", "provider_model"), [
    ("gpt-4o", "openai", "gpt-4o"),
    ("o3-mini", "openai", "o3-mini"),
    ("text-embedding-3-small", "openai", "text-embedding-3-small"),
    ("gpt-3.5-turbo-instruct", "text-completion-openai", "gpt-3.5-turbo-instruct"),
    ("groq/llama-3.1-8b-instant", "groq", "llama-3.1-8b-instant"),
    ("openrouter/meta-llama/llama-4-maverick", "openrouter", "meta-llama/llama-4-maverick"),
])
def test_a_model_name_gets_litellms_provider_inference(tmp_path, model, provider, provider_model):
    path = write_config(tmp_path, f"""\
        model_list:
          - model_name: g
            litellm_params: {{model: "{model}"}}
        """)

    [entry] = load_config(path).model_list

    assert (entry.provider, entry.provider_model) == (provider, provider_model)


def test_a_bare_name_on_a_known_providers_api_base_belongs_to_that_provider(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: fast
            litellm_params: {model: llama3-8b-8192, api_base: "https://api.groq.com/openai/v1"}
          - model_name: pinned
            litellm_params: {model: my-model, custom_llm_provider: hosted_vllm, api_base: "http://vllm:8000/v1"}
        """)

    fast, pinned = load_config(path).model_list

    assert (fast.provider, fast.provider_model) == ("groq", "llama3-8b-8192")
    assert (pinned.provider, pinned.provider_model) == ("hosted_vllm", "my-model")


def test_a_model_no_provider_can_be_found_for_is_skipped_with_the_spelling_to_use(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: first
            litellm_params: {model: openai/gpt-4.1}
          - model_name: bare
            litellm_params: {model: my-local-model}
          - model_name: org
            litellm_params: {model: mistralai/mistral-7b-instruct}
        """)

    config = load_config(path)

    assert [entry.model_name for entry in config.model_list] == ["first"]
    reasons = {item.entry: item.reason for item in config.skipped}
    assert "openai/my-local-model" in reasons["model_list[1] (bare)"]  # the suggested spelling
    assert "'mistralai' is not a provider LiteLLM knows" in reasons["model_list[2] (org)"]


def test_an_empty_model_name_after_the_provider_is_skipped(tmp_path):
    config = load_config(write_config(tmp_path, """\
        model_list:
          - model_name: dall-e-2
            litellm_params: {model: "azure/", api_base: "https://x.openai.azure.com", api_key: k}
        """))

    [skipped] = config.skipped
    assert skipped.reason == "litellm_params.model: 'azure/' names no model after \"azure/\""


def test_a_model_entry_without_litellm_params_model_is_skipped(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: nameless
            litellm_params: {api_key: sk-x}
        """)

    [skipped] = load_config(path).skipped

    assert skipped.entry == "model_list[0] (nameless)"
    assert skipped.reason.startswith("litellm_params.model: is required")


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ("rpm: ten", "litellm_params.rpm: must be a whole number, got 'ten'"),
        ("timeout: -1", "litellm_params.timeout: must be greater than 0, got -1"),
        ("timeout: 0", "litellm_params.timeout: must be greater than 0, got 0"),
        ("tpm: -5", "litellm_params.tpm: must be at least 0, got -5"),
        ("api_key: 1234", "litellm_params.api_key: has the wrong type (int)"),
    ],
    ids=["rpm-word", "timeout-negative", "timeout-zero", "tpm-negative", "api_key-number"],
)
def test_a_deployment_with_a_value_it_cannot_use_is_skipped_naming_the_field(tmp_path, params, reason):
    path = write_config(tmp_path, f"model_list:\n  - model_name: g\n    litellm_params: {{model: openai/x, {params}}}\n")

    config = load_config(path)

    assert config.model_list == ()
    assert [(item.entry, item.reason) for item in config.skipped] == [("model_list[0] (g)", reason)]


def test_every_deployment_problem_is_reported_and_the_rest_is_served(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_NEVER_SET")
    path = write_config(tmp_path, """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/x, rpm: ten}
          - model_name: b
            litellm_params: {model: cohere/command-r}
          - model_name: c
            litellm_params: {model: openai/y, api_key: os.environ/GW_TEST_NEVER_SET}
          - model_name: d
            litellm_params: {model: openai/z}
        """)

    config = load_config(path)

    assert [entry.model_name for entry in config.model_list] == ["d"]
    assert [item.entry for item in config.skipped] == ["model_list[0] (a)", "model_list[1] (b)",
                                                       "model_list[2] (c)"]


def test_repr_of_a_loaded_model_entry_does_not_show_its_api_key(tmp_path, azure_env):
    config = load_config(write_config(tmp_path, LITELLM_STYLE_CONFIG))

    assert SECRET_KEY not in repr(config.model_list[0])
    assert SECRET_KEY not in repr(config)
    assert "sk-master" not in repr(config)
    assert "sk-openai" not in repr(config)


def test_repr_of_a_model_entry_does_not_show_credentials_in_its_api_base(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: local
            litellm_params:
              model: hosted_vllm/llama
              api_base: https://svc:basic-auth-secret@llm.internal/v1?code=query-secret
        """)

    shown = repr(load_config(path).model_list[0])

    assert "basic-auth-secret" not in shown
    assert "query-secret" not in shown


def test_a_credential_named_by_a_deployment_must_exist(tmp_path):
    config = load_config(write_config(tmp_path, """\
        credential_list:
          - credential_name: azure-eu
            credential_values: {api_base: "https://eu.openai.azure.com", api_key: sk-eu}
        model_list:
          - model_name: eu
            litellm_params: {model: azure/gpt-4o, litellm_credential_name: azure-eu}
          - model_name: us
            litellm_params: {model: azure/gpt-4o, litellm_credential_name: azure-us}
        """))

    [eu] = config.model_list
    assert (eu.api_base, eu.api_key) == ("https://eu.openai.azure.com", "sk-eu")
    [skipped] = config.skipped
    assert skipped.reason == "litellm_params.litellm_credential_name: no credential 'azure-us' in credential_list"
