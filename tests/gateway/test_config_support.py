"""gateway/config/support.py: what the config asks for that the gateway does not
act on is reported, security-relevant settings as NOT ENFORCED, and the README's
table says the same as the code."""
from __future__ import annotations

import textwrap
from pathlib import Path

from gateway.config.loader import load_config
from gateway.config.support import support_table_markdown
from tests.gateway_process import REPO_ROOT


def load(directory: Path, text: str):
    path = directory / "litellm_config.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(path)


def reported(config) -> dict[str, bool]:
    """Path -> is it security-relevant, for every setting reported."""
    return {item.path: item.is_security for item in config.unacted}


def test_the_readme_table_is_the_one_the_code_generates():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")

    assert support_table_markdown() in readme, (
        "README.md's settings table is out of date; replace it with the output of "
        "`python -c 'from gateway.config.support import support_table_markdown as t; print(t())'`")


def test_logging_callbacks_are_not_acted_on_and_guardrail_or_custom_callbacks_are_not_enforced(tmp_path):
    config = load(tmp_path, """\
        litellm_settings:
          success_callback: [arize_phoenix, langfuse]
          callbacks: [lakera_prompt_injection, custom_callbacks.proxy_handler_instance]
        """)

    assert reported(config) == {
        "litellm_settings.success_callback[0] (arize_phoenix)": False,
        "litellm_settings.success_callback[1] (langfuse)": False,
        "litellm_settings.callbacks[0] (lakera_prompt_injection)": True,
        "litellm_settings.callbacks[1] (custom_callbacks.proxy_handler_instance)": True,
    }


def test_each_guardrail_is_not_enforced_by_its_name_in_both_of_litellms_shapes(tmp_path):
    config = load(tmp_path, """\
        guardrails:
          - guardrail_name: pii-mask
            litellm_params: {guardrail: presidio, mode: pre_call, default_on: true}
        litellm_settings:
          guardrails:
            - prompt_injection: {callbacks: [lakera_prompt_injection], default_on: true}
        """)

    assert reported(config) == {"litellm_settings.guardrails[0] (prompt_injection)": True,
                                "guardrails[0] (pii-mask)": True}


def test_restrictions_the_gateway_does_not_apply_are_not_enforced(tmp_path):
    config = load(tmp_path, """\
        general_settings:
          allowed_ips: [10.0.0.1]
          enforce_user_param: true
          ui_access_mode: admin_only
          max_response_size_mb: 10
        litellm_settings:
          max_budget: 100
          upperbound_key_generate_params: {max_budget: 10}
        router_settings:
          provider_budget_config: {openai: {budget_limit: 100, time_period: 1d}}
        """)

    assert set(reported(config).values()) == {True}
    assert len(config.not_enforced) == 7


def test_a_setting_that_asks_for_nothing_is_not_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("GW_TEST_CACHE", "False")
    config = load(tmp_path, """\
        litellm_settings:
          cache: os.environ/GW_TEST_CACHE
          callbacks: []
          guardrails: []
        general_settings:
          ui_access_mode: all
          allowed_ips: []
        """)

    assert config.unacted == ()


def test_deployment_settings_not_acted_on_are_reported_once_naming_the_entries(tmp_path):
    config = load(tmp_path, """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/x, max_budget: 10, tags: [eu]}
          - model_name: b
            litellm_params: {model: openai/y, max_budget: 20}
          - model_name: c
            litellm_params: {model: openai/z}
            model_info: {team_id: team-1, description: "shown in /model/info"}
        """)

    assert reported(config) == {
        "litellm_params.max_budget of model_list[0] (a), model_list[1] (b)": True,
        "litellm_params.tags of model_list[0] (a)": False,
        "model_info.team_id of model_list[2] (c)": True,
    }


def test_settings_of_deployments_that_are_not_served_are_not_reported(tmp_path):
    config = load(tmp_path, """\
        model_list:
          - model_name: gemini
            litellm_params: {model: vertex_ai/gemini-pro, vertex_project: p, max_budget: 10}
        """)

    assert config.unacted == ()
    assert config.warnings == ()
    assert [item.entry for item in config.skipped] == ["model_list[0] (gemini)"]
