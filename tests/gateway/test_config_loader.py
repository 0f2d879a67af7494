"""gateway/config/loader.py: a LiteLLM config file read into typed settings,
with every problem named by file, entry and field."""
from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from gateway.config.loader import load_config
from gateway.config.schema import ConfigError

SECRET_KEY = "sk-azure-secret-1234567890"


def write_config(directory: Path, text: str, name: str = "litellm_config.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def unset_env(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Unset `name` now and whatever the loader exports under it after the test."""
    monkeypatch.setenv(name, "placeholder")
    monkeypatch.delenv(name)


@pytest.fixture
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GW_TEST_AZURE_API_BASE", "https://example-resource.openai.azure.com")
    monkeypatch.setenv("GW_TEST_AZURE_API_KEY", SECRET_KEY)


LITELLM_STYLE_CONFIG = """\
    model_list:
      - model_name: gpt-4o
        litellm_params:
          model: azure/my-gpt4o-deployment
          api_base: os.environ/GW_TEST_AZURE_API_BASE
          api_key: os.environ/GW_TEST_AZURE_API_KEY
          api_version: 2024-10-21
          rpm: 600
          tpm: 100000
          timeout: 60
          weight: 2
          order: 1
        model_info: {id: dep-1, mode: chat, base_model: azure/gpt-4o}
      - model_name: gpt-4o
        litellm_params:
          model: openai/gpt-4o
          api_key: sk-openai
          timeout: 12.5
    router_settings:
      routing_strategy: least-busy
      num_retries: 3
      fallbacks: [{gpt-4o: [gpt-4o-mini]}]
    litellm_settings:
      drop_params: true
      request_timeout: 30
    general_settings:
      master_key: sk-master
      allow_client_side_credentials: true
    """


def test_a_litellm_config_loads_into_typed_fields(tmp_path, azure_env):
    config = load_config(write_config(tmp_path, LITELLM_STYLE_CONFIG))

    azure, openai = config.model_list
    assert azure.model_name == "gpt-4o"
    assert (azure.provider, azure.provider_model) == ("azure", "my-gpt4o-deployment")
    assert azure.api_base == "https://example-resource.openai.azure.com"
    assert azure.api_key == SECRET_KEY
    assert (azure.rpm, azure.tpm, azure.timeout, azure.weight, azure.order) == (600, 100000, 60, 2, 1)
    assert azure.model_info == {"id": "dep-1", "mode": "chat", "base_model": "azure/gpt-4o"}
    assert azure.entry == "model_list[0] (gpt-4o)"
    assert (openai.provider, openai.api_base, openai.timeout) == ("openai", None, 12.5)
    assert config.model_names == ["gpt-4o"]
    assert config.router_settings.routing_strategy == "least-busy"
    assert config.router_settings.num_retries == 3
    assert config.router_settings.fallbacks == ({"gpt-4o": ["gpt-4o-mini"]},)
    assert config.litellm_settings.drop_params is True
    assert config.litellm_settings.request_timeout == 30
    assert config.general_settings.master_key == "sk-master"
    assert config.general_settings.allow_client_side_credentials is True
    assert config.warnings == ()


def test_an_unquoted_yaml_date_api_version_becomes_the_string_the_user_wrote(tmp_path, azure_env):
    config = load_config(write_config(tmp_path, LITELLM_STYLE_CONFIG))

    assert config.model_list[0].api_version == "2024-10-21"
    assert isinstance(config.model_list[0].api_version, str)


def test_environment_variables_are_exported_before_references_are_resolved(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_ONLY_IN_CONFIG")
    path = write_config(tmp_path, """\
        environment_variables:
          GW_TEST_ONLY_IN_CONFIG: https://from-the-config-file.example.com
        model_list:
          - model_name: local
            litellm_params:
              model: hosted_vllm/llama
              api_base: os.environ/GW_TEST_ONLY_IN_CONFIG
        """)

    config = load_config(path)

    assert config.model_list[0].api_base == "https://from-the-config-file.example.com"
    assert os.environ["GW_TEST_ONLY_IN_CONFIG"] == "https://from-the-config-file.example.com"


def test_an_unset_environment_variable_names_the_file_entry_and_field(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_NEVER_SET")
    path = write_config(tmp_path, """\
        model_list:
          - model_name: group-name
            litellm_params:
              model: openai/gpt-4.1
              api_key: os.environ/GW_TEST_NEVER_SET
        """)

    [problem] = problems_of(path)

    assert str(path) in problem
    assert "model_list[0] (group-name)" in problem
    assert "litellm_params.api_key" in problem
    assert "GW_TEST_NEVER_SET" in problem


def test_an_unset_environment_variable_in_a_settings_section_names_the_section(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_NEVER_SET")
    path = write_config(tmp_path, """\
        general_settings:
          master_key: os.environ/GW_TEST_NEVER_SET
        """)

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: general_settings: master_key: ")
    assert "GW_TEST_NEVER_SET" in problem


def test_a_model_without_a_provider_prefix_names_the_entry_and_the_model_field(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: first
            litellm_params: {model: openai/gpt-4.1}
          - model_name: bare
            litellm_params: {model: gpt-4o}
        """)

    [problem] = problems_of(path)

    assert str(path) in problem
    assert "model_list[1] (bare)" in problem
    assert "litellm_params.model" in problem
    assert "openai/gpt-4o" in problem  # the suggested spelling


def test_a_model_entry_without_litellm_params_model_is_an_error(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: nameless
            litellm_params: {api_key: sk-x}
        """)

    [problem] = problems_of(path)

    assert "model_list[0] (nameless)" in problem
    assert "litellm_params.model" in problem


@pytest.mark.parametrize(
    ("yaml_text", "where", "field"),
    [
        ("model_list:\n  - model_name: g\n    litellm_params: {model: openai/x, rpm: ten}\n",
         "model_list[0] (g)", "litellm_params.rpm"),
        ("model_list:\n  - model_name: g\n    litellm_params: {model: openai/x, timeout: -1}\n",
         "model_list[0] (g)", "litellm_params.timeout"),
        ("model_list:\n  - model_name: g\n    litellm_params: {model: openai/x, timeout: 0}\n",
         "model_list[0] (g)", "litellm_params.timeout"),
        ("model_list:\n  - model_name: g\n    litellm_params: {model: openai/x, tpm: -5}\n",
         "model_list[0] (g)", "litellm_params.tpm"),
        ("model_list:\n  - model_name: g\n    litellm_params: {model: openai/x, api_key: 1234}\n",
         "model_list[0] (g)", "litellm_params.api_key"),
        ("router_settings:\n  num_retries: \"3\"\n", "router_settings", "num_retries"),
        ("router_settings:\n  fallbacks: {gpt-4o: claude}\n", "router_settings", "fallbacks"),
        ("router_settings:\n  fallbacks: [{gpt-4o: claude}]\n", "router_settings", "fallbacks"),
        ("general_settings:\n  allow_client_side_credentials: \"yes\"\n", "general_settings",
         "allow_client_side_credentials"),
        ("litellm_settings:\n  drop_params: \"true\"\n", "litellm_settings", "drop_params"),
        ("general_settings:\n  response_model_name: deployment\n", "general_settings", "response_model_name"),
    ],
    ids=["rpm-word", "timeout-negative", "timeout-zero", "tpm-negative", "api_key-number", "num_retries-string",
         "fallbacks-mapping", "fallbacks-item-not-a-list", "allow_client_side_credentials-string",
         "drop_params-string", "response_model_name-unknown"],
)
def test_a_value_of_the_wrong_type_names_the_section_or_entry_and_the_field(tmp_path, yaml_text, where, field):
    path = write_config(tmp_path, yaml_text)

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: {where}: {field}: ")


def test_every_problem_in_the_file_is_reported_at_once(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_NEVER_SET")
    path = write_config(tmp_path, """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/x, rpm: ten}
          - model_name: b
            litellm_params: {model: gpt-4o}
          - model_name: c
            litellm_params: {model: openai/y, api_key: os.environ/GW_TEST_NEVER_SET}
        router_settings:
          num_retries: "3"
        general_settings:
          allow_client_side_credentials: "yes"
        """)

    problems = problems_of(path)

    assert len(problems) == 5
    for expected in ("model_list[0] (a): litellm_params.rpm", "model_list[1] (b): litellm_params.model",
                     "model_list[2] (c): litellm_params.api_key", "router_settings: num_retries",
                     "general_settings: allow_client_side_credentials"):
        assert any(expected in problem for problem in problems), expected
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == "\n".join(problems)


def test_unknown_keys_are_warnings_and_the_config_still_loads(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: g
            litellm_params:
              model: openai/gpt-4.1
              frobnicate: 3
        router_settings:
          routing_strategy: simple-shuffle
          not_a_router_setting: true
        made_up_section: {a: 1}
        """)

    config = load_config(path)

    assert config.model_list[0].params["frobnicate"] == 3
    assert config.router_settings.extra["not_a_router_setting"] is True
    assert len(config.warnings) == 3
    for expected in ("top level: made_up_section", "router_settings: not_a_router_setting",
                     "model_list[0] (g): litellm_params.frobnicate"):
        assert any(expected in warning and str(path) in warning for warning in config.warnings), expected


def test_keys_litellm_knows_but_the_gateway_ignores_are_not_warned_about(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: g
            litellm_params: {model: openai/gpt-4.1, temperature: 0.2, organization: org-1}
        router_settings: {routing_strategy_args: {ttl: 10}}
        litellm_settings: {telemetry: false}
        general_settings: {alerting_threshold: 300}
        guardrails: []
        """)

    assert load_config(path).warnings == ()


def test_invalid_yaml_names_the_file_and_the_line(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: g
            litellm_params: {model: openai/x
        router_settings: {}
        """)

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: line ")
    assert "not valid YAML" in problem


def test_a_tab_in_the_indentation_is_reported_on_its_line(tmp_path):
    path = tmp_path / "tabbed.yaml"
    path.write_text("model_list:\n  - model_name: a\n\tlitellm_params: {}\n", encoding="utf-8")

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: line 3, column 1: not valid YAML")


def test_a_missing_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere" / "litellm_config.yaml"

    [problem] = problems_of(path)

    assert str(path) in problem
    assert "cannot read" in problem


def test_a_file_that_is_not_utf8_fails_naming_the_file(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("# caf\u00e9 team config\nmodel_list: []\n".encode("latin-1"))

    [problem] = problems_of(path)

    assert str(path) in problem


def test_a_top_level_that_is_not_a_mapping_is_an_error(tmp_path):
    path = write_config(tmp_path, "- model_name: g\n")

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: top level:")


def test_an_empty_file_is_an_empty_config(tmp_path):
    config = load_config(write_config(tmp_path, "# nothing yet\n"))

    assert config.model_list == ()
    assert config.warnings == ()


def test_model_group_alias_and_model_alias_map_parse(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: gpt-4o
            litellm_params: {model: openai/gpt-4o}
        router_settings:
          model_group_alias:
            gpt-4: gpt-4o
            internal: {model: gpt-4o, hidden: true}
        litellm_settings:
          model_alias_map: {my-gpt: gpt-4o}
        """)

    config = load_config(path)

    assert config.router_settings.model_group_alias == {"gpt-4": "gpt-4o",
                                                        "internal": {"model": "gpt-4o", "hidden": True}}
    assert config.litellm_settings.model_alias_map == {"my-gpt": "gpt-4o"}


def test_repr_of_a_loaded_model_entry_does_not_show_its_api_key(tmp_path, azure_env):
    config = load_config(write_config(tmp_path, LITELLM_STYLE_CONFIG))

    assert SECRET_KEY not in repr(config.model_list[0])
    assert SECRET_KEY not in repr(config)
    assert "sk-master" not in repr(config)
    assert "sk-openai" not in repr(config)


def test_repr_of_the_loaded_config_does_not_show_redis_passwords(tmp_path):
    path = write_config(tmp_path, """\
        router_settings: {redis_host: cache.internal, redis_password: router-redis-secret}
        litellm_settings:
          cache: true
          cache_params: {type: redis, host: cache.internal, password: cache-redis-secret}
        """)

    shown = repr(load_config(path))

    assert "router-redis-secret" not in shown
    assert "cache-redis-secret" not in shown


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


@pytest.mark.parametrize("value, accepted", [("7d", True), (3600, True), ("soon", False), (0, False)])
def test_responses_ttl_is_seconds_or_a_duration(tmp_path, value, accepted):
    path = write_config(tmp_path, f"""\
        model_list:
          - model_name: g
            litellm_params:
              model: mock/echo
        general_settings:
          responses_ttl: {value}
        """)

    if accepted:
        assert load_config(path).general_settings.extra["responses_ttl"] == value
    else:
        assert any("general_settings: responses_ttl" in problem for problem in problems_of(path))
