"""gateway/config/loader.py: a LiteLLM config file read into typed settings,
with every problem named by file, entry and field."""
from __future__ import annotations

import os
import textwrap

import pytest

from gateway.config.loader import load_config
from tests.gateway.config_files import LITELLM_STYLE_CONFIG, SECRET_KEY, problems_of, unset_env, write_config



def test_a_litellm_config_loads_into_typed_fields(tmp_path, azure_env, monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(write_config(tmp_path, LITELLM_STYLE_CONFIG))

    azure, openai = config.model_list
    assert azure.model_name == "gpt-4o"
    assert (azure.provider, azure.provider_model) == ("azure", "my-gpt4o-deployment")
    assert azure.api_base == "https://example-resource.openai.azure.com"
    assert azure.api_key == SECRET_KEY
    assert (azure.rpm, azure.tpm, azure.timeout, azure.weight, azure.order) == (600, 100000, 60, 2, 1)
    assert azure.model_info == {"id": "dep-1", "mode": "chat", "base_model": "azure/gpt-4o"}
    assert azure.entry == "model_list[0] (gpt-4o)"
    assert (openai.provider, openai.api_base, openai.timeout) == ("openai", "https://api.openai.com/v1", 12.5)
    assert config.model_names == ["gpt-4o"]
    assert config.router_settings.routing_strategy == "least-busy"
    assert config.router_settings.num_retries == 3
    assert config.router_settings.fallbacks == ({"gpt-4o": ["gpt-4o-mini"]},)
    assert config.litellm_settings.drop_params is True
    assert config.litellm_settings.request_timeout == 30
    assert config.general_settings.master_key == "sk-master"
    assert config.general_settings.allow_client_side_credentials is True
    assert config.warnings == ()
    assert config.skipped == ()
    assert [item.path for item in config.unacted] == ["litellm_settings.drop_params"]


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


def test_a_master_key_naming_an_unset_environment_variable_refuses_to_start(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_NEVER_SET")
    path = write_config(tmp_path, """\
        general_settings:
          master_key: os.environ/GW_TEST_NEVER_SET
        """)

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: general_settings: master_key: ")
    assert "GW_TEST_NEVER_SET" in problem


def test_another_setting_naming_an_unset_environment_variable_is_a_warning_and_ignored(tmp_path, monkeypatch):
    unset_env(monkeypatch, "GW_TEST_NEVER_SET")
    path = write_config(tmp_path, """\
        router_settings:
          num_retries: os.environ/GW_TEST_NEVER_SET
        litellm_settings:
          cache_params: {password: os.environ/GW_TEST_NEVER_SET}
        """)

    config = load_config(path)

    assert config.router_settings.num_retries is None
    assert f"{path}: router_settings: num_retries: environment variable GW_TEST_NEVER_SET is not set; " \
           "ignored" in config.warnings
    assert f"{path}: litellm_settings: cache_params.password: environment variable GW_TEST_NEVER_SET is not " \
           "set" in config.warnings


def test_numbers_and_booleans_read_from_the_environment_are_parsed(tmp_path, monkeypatch):
    monkeypatch.setenv("GW_TEST_REDIS_PORT", "6379")
    monkeypatch.setenv("GW_TEST_RPM", "600")
    monkeypatch.setenv("GW_TEST_TIMEOUT", "12.5")
    monkeypatch.setenv("GW_TEST_FLAG", "True")
    path = write_config(tmp_path, """\
        model_list:
          - model_name: g
            litellm_params: {model: openai/x, rpm: os.environ/GW_TEST_RPM, timeout: os.environ/GW_TEST_TIMEOUT}
        router_settings:
          redis_port: os.environ/GW_TEST_REDIS_PORT
          num_retries: "3"
        litellm_settings:
          drop_params: os.environ/GW_TEST_FLAG
        """)

    config = load_config(path)

    assert (config.model_list[0].rpm, config.model_list[0].timeout) == (600, 12.5)
    assert config.router_settings.extra["redis_port"] == 6379
    assert config.router_settings.num_retries == 3
    assert config.litellm_settings.drop_params is True
    assert config.warnings == ()


def test_one_string_where_a_list_belongs_is_a_list_of_one(tmp_path):
    path = write_config(tmp_path, """\
        router_settings:
          default_fallbacks: gpt-4o-mini
          fallbacks: [{gpt-4o: gpt-4o-mini}]
        litellm_settings:
          callbacks: prometheus
        """)

    config = load_config(path)

    assert config.router_settings.default_fallbacks == ("gpt-4o-mini",)
    assert config.router_settings.fallbacks == ({"gpt-4o": ["gpt-4o-mini"]},)
    assert config.litellm_settings.callbacks == ("prometheus",)
    assert [item.path for item in config.unacted] == ["litellm_settings.callbacks[0] (prometheus)"]


@pytest.mark.parametrize(
    ("yaml_text", "where", "field"),
    [
        ("router_settings:\n  num_retries: three\n", "router_settings", "num_retries"),
        ("router_settings:\n  fallbacks: [[gpt-4o]]\n", "router_settings", "fallbacks"),
        ("general_settings:\n  allow_client_side_credentials: maybe\n", "general_settings",
         "allow_client_side_credentials"),
        ("litellm_settings:\n  request_timeout: soon\n", "litellm_settings", "request_timeout"),
        ("general_settings:\n  response_model_name: deployment\n", "general_settings", "response_model_name"),
    ],
    ids=["num_retries-word", "fallbacks-item-not-a-mapping", "allow_client_side_credentials-word",
         "request_timeout-word", "response_model_name-unknown"],
)
def test_a_setting_with_a_value_it_cannot_use_is_a_warning_and_its_default_applies(tmp_path, yaml_text, where,
                                                                                   field):
    path = write_config(tmp_path, yaml_text)

    config = load_config(path)

    [warning] = config.warnings
    assert warning.startswith(f"{path}: {where}: {field}: ")
    assert warning.endswith("; ignored, the default applies")
    section = getattr(config, where)
    assert field not in section.extra and getattr(section, field, None) == getattr(type(section)(), field, None)


def test_a_wrong_master_key_refuses_to_start_rather_than_run_without_auth(tmp_path):
    path = write_config(tmp_path, "general_settings:\n  master_key: [sk-a, sk-b]\n")

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: general_settings: master_key: must be a string")


@pytest.mark.parametrize("section", ["router_settings", "litellm_settings", "general_settings", "model_list"])
def test_a_section_of_the_wrong_shape_refuses_to_start(tmp_path, section):
    path = write_config(tmp_path, f"{section}: 3\n")

    [problem] = problems_of(path)

    assert problem.startswith(f"{path}: {section}: {section}: must be a ")


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


def test_settings_litellm_knows_are_not_unknown_and_those_not_acted_on_are_listed(tmp_path):
    path = write_config(tmp_path, """\
        model_list:
          - model_name: g
            litellm_params: {model: openai/gpt-4.1, temperature: 0.2, organization: org-1}
        router_settings: {routing_strategy_args: {ttl: 10}}
        litellm_settings: {telemetry: false, cache: false}
        general_settings: {alerting_threshold: 300}
        guardrails: []
        """)

    config = load_config(path)

    assert config.warnings == ()
    assert [item.path for item in config.unacted] == ["router_settings.routing_strategy_args",
                                                      "general_settings.alerting_threshold"]
    assert not config.not_enforced


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

    config = load_config(path)

    if accepted:
        assert config.general_settings.extra["responses_ttl"] == value
    else:
        assert "responses_ttl" not in config.general_settings.extra
        assert any("general_settings: responses_ttl" in warning for warning in config.warnings)


def test_included_files_add_their_models_and_settings(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "extra.yaml").write_text(textwrap.dedent("""\
        model_list:
          - model_name: extra
            litellm_params: {model: mock/extra}
        router_settings:
          num_retries: 5
        """), encoding="utf-8")
    path = write_config(tmp_path, """\
        include: [models/extra.yaml]
        model_list:
          - model_name: main
            litellm_params: {model: mock/main}
        """)

    config = load_config(path)

    assert [entry.model_name for entry in config.model_list] == ["main", "extra"]
    assert config.router_settings.num_retries == 5


def test_a_missing_included_file_names_it(tmp_path):
    path = write_config(tmp_path, "include: [nowhere.yaml]\n")

    [problem] = problems_of(path)

    assert str(tmp_path / "nowhere.yaml") in problem and "cannot read" in problem
