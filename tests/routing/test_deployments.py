"""routing/deployments.py: the table of model groups built from a loaded config;
deployments it cannot serve are left out with their reason, never fatal."""
from __future__ import annotations

import textwrap
from pathlib import Path

from gateway.config.loader import load_config
from gateway.config.schema import GatewayConfig
from gateway.proxy.runtime import build_runtime
from routing.deployments import DeploymentTable, build_table, public_api_base
from routing.providers.registry import serving_problem


def load(directory: Path, text: str, name: str = "litellm_config.yaml") -> GatewayConfig:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_config(path)


def table_of(config: GatewayConfig) -> DeploymentTable:
    return build_table(config, serving_problem)


def skipped_by_runtime(config: GatewayConfig) -> dict[str, str]:
    """Entry -> reason, for every deployment the runtime leaves out."""
    return {item.entry: item.reason for item in build_runtime(config).config.skipped}


TWO_GROUPS = """\
    model_list:
      - model_name: gpt-4.1
        litellm_params: {model: openai/gpt-4.1, api_key: sk-one}
      - model_name: azure-gpt
        litellm_params:
          model: azure/gpt-deployment
          api_base: https://example-resource.openai.azure.com
          api_key: azure-secret-key
          api_version: 2024-10-21
      - model_name: gpt-4.1
        litellm_params: {model: openai/gpt-4.1, api_key: sk-two, api_base: https://second.example.com/v1}
    """


def test_a_provider_the_gateway_does_not_serve_is_skipped_with_the_reason_and_the_rest_serves(tmp_path):
    config = load(tmp_path, """\
        model_list:
          - model_name: gpt-4.1
            litellm_params: {model: openai/gpt-4.1}
          - model_name: claude
            litellm_params: {model: anthropic/claude-x}
          - model_name: gemini
            litellm_params: {model: vertex_ai/gemini-pro}
        """)

    runtime = build_runtime(config)

    assert list(runtime.table.groups) == ["gpt-4.1"]
    skipped = {item.entry: item.reason for item in runtime.config.skipped}
    assert list(skipped) == ["model_list[1] (claude)", "model_list[2] (gemini)"]
    assert "the anthropic API is not served yet" in skipped["model_list[1] (claude)"]
    assert "the vertex_ai API is not served yet" in skipped["model_list[2] (gemini)"]


def test_an_azure_deployment_without_api_base_is_skipped_naming_the_field(tmp_path, monkeypatch):
    monkeypatch.delenv("AZURE_API_BASE", raising=False)
    config = load(tmp_path, """\
        model_list:
          - model_name: azure-gpt
            litellm_params: {model: azure/gpt-deployment, api_key: k, api_version: "2024-10-21"}
        """)

    skipped = skipped_by_runtime(config)

    assert skipped["model_list[0] (azure-gpt)"].startswith("litellm_params.api_base: is required")
    assert "AZURE_API_BASE" in skipped["model_list[0] (azure-gpt)"]


def test_a_self_hosted_openai_compatible_deployment_without_an_api_base_is_skipped(tmp_path, monkeypatch):
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    config = load(tmp_path, """\
        model_list:
          - model_name: llama
            litellm_params: {model: hosted_vllm/llama-3}
        """)

    skipped = skipped_by_runtime(config)

    assert "litellm_params.api_base" in skipped["model_list[0] (llama)"]
    assert "HOSTED_VLLM_API_BASE" in skipped["model_list[0] (llama)"]


def test_an_openai_deployment_without_api_base_uses_the_default_and_starts(tmp_path):
    runtime = build_runtime(load(tmp_path, "model_list:\n  - model_name: g\n    litellm_params: {model: openai/x}\n"))

    assert list(runtime.table.groups) == ["g"]


def test_the_same_config_gives_the_same_deployment_ids_on_every_load(tmp_path):
    first = table_of(load(tmp_path, TWO_GROUPS))
    second = table_of(load(tmp_path, TWO_GROUPS, name="copy.yaml"))

    first_ids = [d.id for group in first.groups.values() for d in group]
    assert first_ids == [d.id for group in second.groups.values() for d in group]
    assert len(set(first_ids)) == 3


def test_quoting_the_api_version_does_not_change_the_deployment_id(tmp_path):
    unquoted = table_of(load(tmp_path, TWO_GROUPS))
    quoted = table_of(load(tmp_path, TWO_GROUPS.replace("2024-10-21", '"2024-10-21"'), name="q.yaml"))

    assert unquoted.groups["azure-gpt"][0].id == quoted.groups["azure-gpt"][0].id


def test_a_change_to_a_deployments_parameters_changes_its_id(tmp_path):
    before = table_of(load(tmp_path, TWO_GROUPS))
    after = table_of(load(tmp_path, TWO_GROUPS.replace("second.example.com", "third.example.com"), name="b.yaml"))

    assert before.groups["gpt-4.1"][0].id == after.groups["gpt-4.1"][0].id
    assert before.groups["gpt-4.1"][1].id != after.groups["gpt-4.1"][1].id


def test_model_info_id_is_the_deployment_id(tmp_path):
    table = table_of(load(tmp_path, """\
        model_list:
          - model_name: g
            litellm_params: {model: openai/x}
            model_info: {id: dep-eu-1}
          - model_name: g
            litellm_params: {model: openai/y}
            model_info: {id: 7}
        """))

    assert [d.id for d in table.groups["g"]] == ["dep-eu-1", "7"]


def test_a_duplicate_deployment_id_skips_the_second_entry_naming_the_first(tmp_path):
    config = load(tmp_path, """\
        model_list:
          - model_name: a
            litellm_params: {model: openai/x}
            model_info: {id: same}
          - model_name: b
            litellm_params: {model: openai/y}
            model_info: {id: same}
        """)

    table = table_of(config)

    assert list(table.groups) == ["a"]
    [skipped] = table.skipped
    assert skipped.entry == "model_list[1] (b)"
    assert skipped.reason.startswith("model_info.id: 'same' is already used by model_list[0] (a)")


def test_groups_and_their_deployments_keep_the_order_of_the_file(tmp_path):
    table = table_of(load(tmp_path, """\
        model_list:
          - model_name: zeta
            litellm_params: {model: openai/z1}
          - model_name: alpha
            litellm_params: {model: openai/a1}
          - model_name: zeta
            litellm_params: {model: openai/z2}
          - model_name: mid
            litellm_params: {model: mock/m}
          - model_name: zeta
            litellm_params: {model: openai/z3}
        """))

    assert list(table.groups) == ["zeta", "alpha", "mid"]
    assert [d.entry.provider_model for d in table.groups["zeta"]] == ["z1", "z2", "z3"]
    assert all(d.model_name == "zeta" for d in table.groups["zeta"])


ALIASES = """\
    model_list:
      - model_name: gpt-4o
        litellm_params: {model: openai/gpt-4o}
      - model_name: gpt-4o-mini
        litellm_params: {model: openai/gpt-4o-mini}
    router_settings:
      model_group_alias:
        gpt-4: gpt-4o
        internal-only: {model: gpt-4o-mini, hidden: true}
        shown-dict: {model: gpt-4o-mini}
        shown-false: {model: gpt-4o, hidden: false}
        ghost: no-such-group
    litellm_settings:
      model_alias_map: {my-gpt: gpt-4o}
    """


def test_aliases_resolve_to_their_group(tmp_path):
    table = table_of(load(tmp_path, ALIASES))

    assert table.resolve("gpt-4o") == "gpt-4o"
    assert table.resolve("gpt-4") == "gpt-4o"
    assert table.resolve("my-gpt") == "gpt-4o"
    assert table.resolve("internal-only") == "gpt-4o-mini"
    assert table.resolve("shown-dict") == "gpt-4o-mini"


def test_a_name_that_is_neither_a_group_nor_an_alias_resolves_to_nothing(tmp_path):
    table = table_of(load(tmp_path, ALIASES))

    assert table.resolve("gpt-5") is None
    assert table.resolve("ghost") is None  # an alias whose group does not exist


def test_visible_names_list_groups_then_aliases_but_not_hidden_or_dangling_ones(tmp_path):
    table = table_of(load(tmp_path, ALIASES))

    assert table.visible_names() == ["gpt-4o", "gpt-4o-mini", "my-gpt", "gpt-4", "shown-dict", "shown-false"]


def test_a_model_alias_map_entry_may_point_at_a_router_alias(tmp_path):
    table = table_of(load(tmp_path, """\
        model_list:
          - model_name: gpt-4o
            litellm_params: {model: openai/gpt-4o}
        router_settings:
          model_group_alias: {gpt-4: gpt-4o}
        litellm_settings:
          model_alias_map: {legacy-gpt: gpt-4}
        """))

    assert table.resolve("legacy-gpt") == "gpt-4o"


def test_public_api_base_strips_userinfo_query_and_fragment():
    shown = public_api_base("https://svc:hunter2@example.openai.azure.com:8443/openai/v1?api-key=secret#x")

    assert shown == "https://example.openai.azure.com:8443/openai/v1"


def test_public_api_base_keeps_a_plain_url_and_is_empty_without_one():
    assert public_api_base("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    assert public_api_base(None) == ""
    assert public_api_base("") == ""


def test_public_api_base_keeps_an_ipv6_address_bracketed():
    assert public_api_base("http://user:pw@[::1]:8000/v1") == "http://[::1]:8000/v1"


def test_an_api_base_with_a_bad_port_skips_the_entry_naming_the_field(tmp_path):
    config = load(tmp_path, """\
        model_list:
          - model_name: local
            litellm_params: {model: hosted_vllm/llama, api_base: "http://llm.internal:80800/v1"}
        """)

    [skipped] = config.skipped

    assert skipped.entry == "model_list[0] (local)"
    assert skipped.reason.startswith("litellm_params.api_base: ")


def test_a_deployment_shows_its_public_api_base_and_hides_its_key(tmp_path):
    table = table_of(load(tmp_path, TWO_GROUPS))

    azure = table.groups["azure-gpt"][0]
    assert azure.provider == "azure"
    assert azure.public_api_base == "https://example-resource.openai.azure.com"
    assert "azure-secret-key" not in repr(azure)
    assert "azure-secret-key" not in repr(table)
