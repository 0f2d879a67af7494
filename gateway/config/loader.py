"""Read a LiteLLM `litellm_config.yaml` into a GatewayConfig.

Order of work, as LiteLLM does it: parse the YAML, export
`environment_variables`, resolve every `os.environ/NAME` reference, then check
each section. Every problem is collected and reported at once, each naming the
file, the entry and the field; unknown keys are warnings, not errors.
"""
from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import yaml

from gateway.config import checks
from gateway.config.schema import (
    ConfigError,
    GatewayConfig,
    GeneralSettings,
    LitellmSettings,
    ModelEntry,
    RouterSettings,
)

ENV_PREFIX = "os.environ/"
SECTIONS = {"model_list", "router_settings", "litellm_settings", "general_settings", "environment_variables"}
# Top-level keys LiteLLM accepts that the gateway does not act on yet: no warning.
QUIET_SECTIONS = {"include", "guardrails", "credential_list", "mcp_servers", "vector_store_registry",
                  "callback_settings", "finetune_settings", "files_settings", "assistant_settings"}

DEPLOYMENT_CHECKS: dict[str, checks.Check] = {
    "model": checks.string,
    "api_base": checks.string,
    "base_url": checks.string,
    "api_key": checks.string,
    "api_version": checks.version_string,
    "rpm": checks.integer(),
    "tpm": checks.integer(),
    "timeout": checks.number(exclusive=True),
    "stream_timeout": checks.number(exclusive=True),
    "max_retries": checks.integer(),
    "weight": checks.number(),
    "order": checks.integer(),
    "mock_response": checks.string,
    "headers": checks.mapping,
    "extra_headers": checks.mapping,
    "input_cost_per_token": checks.number(),
    "output_cost_per_token": checks.number(),
    "tags": checks.string_list,
    "configurable_clientside_auth_params": checks.sequence,
}
# OpenAI request parameters a deployment may set; a client's own value wins.
REQUEST_DEFAULTS = frozenset({"temperature", "max_tokens", "max_completion_tokens", "top_p", "seed",
                              "frequency_penalty", "presence_penalty", "stop", "response_format",
                              "reasoning_effort", "parallel_tool_calls"})
# Other litellm_params LiteLLM knows; accepted without a warning.
DEPLOYMENT_PASSTHROUGH = REQUEST_DEFAULTS | {
    "organization", "drop_params", "region_name",
    "use_in_pass_through", "merge_reasoning_content_in_choices", "input_cost_per_second",
    "output_cost_per_second", "cache_read_input_token_cost", "cache_creation_input_token_cost",
    "max_input_tokens", "max_output_tokens", "litellm_credential_name", "azure_ad_token",
    "tenant_id", "client_id", "client_secret", "azure_username", "azure_password",
    "custom_llm_provider", "budget_duration", "max_budget", "stream", "reasoning_effort",
}

ROUTER_CHECKS: dict[str, checks.Check] = {
    "routing_strategy": checks.string,
    "num_retries": checks.integer(),
    "timeout": checks.number(exclusive=True),
    "stream_timeout": checks.number(exclusive=True),
    "allowed_fails": checks.integer(),
    "cooldown_time": checks.number(),
    "retry_after": checks.number(),
    "fallbacks": checks.fallback_list,
    "context_window_fallbacks": checks.fallback_list,
    "content_policy_fallbacks": checks.fallback_list,
    "default_fallbacks": checks.string_list,
    "model_group_alias": checks.mapping,
    "max_fallbacks": checks.integer(),
    "disable_cooldowns": checks.boolean,
    "retry_policy": checks.mapping,
    "model_group_retry_policy": checks.mapping,
    "allowed_fails_policy": checks.mapping,
    "enable_pre_call_checks": checks.boolean,
    "enable_tag_filtering": checks.boolean,
    "redis_host": checks.string,
    "redis_port": checks.integer(),
    "redis_password": checks.string,
    "redis_url": checks.string,
}
ROUTER_QUIET = {"routing_strategy_args", "optional_pre_call_checks", "provider_budget_config",
                "default_max_parallel_requests", "cache_responses", "set_verbose", "debug_level",
                "default_litellm_params", "polling_interval", "model_group_affinity_config"}

LITELLM_CHECKS: dict[str, checks.Check] = {
    "request_timeout": checks.number(exclusive=True),
    "num_retries": checks.integer(),
    "drop_params": checks.boolean,
    "model_alias_map": checks.mapping,
    "callbacks": checks.sequence,
    "success_callback": checks.sequence,
    "failure_callback": checks.sequence,
    "cache": checks.boolean,
    "cache_params": checks.mapping,
    "max_budget": checks.number(),
    "budget_duration": checks.string,
    "max_end_user_budget": checks.number(),
    "budget_exceeded_status_code": checks.integer(),
    "set_verbose": checks.boolean,
    "json_logs": checks.boolean,
    "timezone": checks.string,
    "fallbacks": checks.fallback_list,
    "context_window_fallbacks": checks.fallback_list,
    "content_policy_fallbacks": checks.fallback_list,
    "default_fallbacks": checks.string_list,
}
LITELLM_QUIET = {"turn_off_message_logging", "redact_user_api_key_info", "telemetry", "allowed_fails",
                 "upperbound_key_generate_params", "default_key_generate_params", "max_internal_user_budget",
                 "internal_user_budget_duration", "enable_json_schema_validation", "modify_params",
                 "default_team_settings", "service_callback", "redact_messages_in_exceptions",
                 "disable_end_user_cost_tracking", "enable_preview_features", "global_disable_no_log_param",
                 "callback_settings", "default_internal_user_params", "key_generation_settings"}

GENERAL_CHECKS: dict[str, checks.Check] = {
    "master_key": checks.string,
    "database_url": checks.string,
    "allow_client_side_credentials": checks.boolean,
    "litellm_key_header_name": checks.string,
    "user_header_name": checks.string,
    "completion_model": checks.string,
    "max_request_size_mb": checks.number(exclusive=True),
    "response_model_name": checks.one_of("model_group", "provider"),
    "responses_ttl": checks.duration,
    "store_model_in_db": checks.boolean,
    "disable_spend_logs": checks.boolean,
    "store_prompts_in_spend_logs": checks.boolean,
    "alerting": checks.sequence,
    "proxy_batch_write_at": checks.number(exclusive=True),
    "proxy_budget_rescheduler_min_time": checks.number(),
    "proxy_budget_rescheduler_max_time": checks.number(),
    "database_connection_pool_limit": checks.integer(minimum=1),
    "maximum_spend_logs_retention_period": checks.string,
}
GENERAL_QUIET = {"alerting_threshold", "alert_types", "background_health_checks", "health_check_interval",
                 "health_check_details", "disable_master_key_return", "allowed_routes", "public_routes",
                 "enforce_user_param", "max_response_size_mb", "infer_model_from_keys", "ui_access_mode",
                 "custom_auth", "disable_reset_budget", "use_redis_transaction_buffer", "database_connection_timeout",
                 "maximum_spend_logs_retention_interval", "disable_retry_on_max_parallel_request_limit_error",
                 "allowed_ips", "enable_jwt_auth", "litellm_jwtauth", "pass_through_endpoints",
                 "disable_prisma_schema_update", "proxy_budget_rescheduler", "disable_adding_master_key_hash_to_db",
                 "forward_client_headers_to_llm_api", "user_api_key_cache_ttl", "master_key_hash"}


class _Problems:
    """Collects problems, each prefixed with the file name."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, entry: str, field: str, problem: str) -> None:
        self.errors.append(f"{self.source}: {entry}: {field}: {problem}")

    def warn(self, entry: str, field: str, problem: str) -> None:
        self.warnings.append(f"{self.source}: {entry}: {field}: {problem}")


def load_config(path: str | Path) -> GatewayConfig:
    """Load and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    problems = _Problems(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the config file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "document"
        raise ConfigError([f"{path}: {where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    return parse_config(document or {}, problems, path)


def parse_config(document: Any, problems: _Problems, path: Path | None = None) -> GatewayConfig:
    if not isinstance(document, dict):
        raise ConfigError([f"{problems.source}: top level: must be a mapping of sections"])
    for key in document:
        if key not in SECTIONS and key not in QUIET_SECTIONS:
            problems.warn("top level", str(key), "unknown section, ignored")

    _export_environment(document.get("environment_variables"), problems)
    document = _resolve_env_refs(document, problems, [], document)

    model_list = _parse_model_list(document.get("model_list"), problems)
    router = RouterSettings(**_parse_section(document, "router_settings", ROUTER_CHECKS, ROUTER_QUIET, problems,
                                             typed=RouterSettings.__slots__))
    litellm = LitellmSettings(**_parse_section(document, "litellm_settings", LITELLM_CHECKS, LITELLM_QUIET,
                                               problems, typed=LitellmSettings.__slots__))
    general = GeneralSettings(**_parse_section(document, "general_settings", GENERAL_CHECKS, GENERAL_QUIET,
                                               problems, typed=GeneralSettings.__slots__))
    if problems.errors:
        raise ConfigError(problems.errors)
    return GatewayConfig(
        path=path,
        model_list=tuple(model_list),
        router_settings=router,
        litellm_settings=litellm,
        general_settings=general,
        warnings=tuple(problems.warnings),
    )


def _export_environment(variables: Any, problems: _Problems) -> None:
    if variables is None:
        return
    if not isinstance(variables, dict):
        problems.error("environment_variables", "environment_variables", "must be a mapping of NAME: value")
        return
    for name, value in variables.items():
        if value is None:
            continue
        os.environ[str(name)] = value if isinstance(value, str) else str(value)


def _resolve_env_refs(node: Any, problems: _Problems, trail: list[str], document: dict) -> Any:
    """Replace every "os.environ/NAME" string with the variable's value."""
    if isinstance(node, dict):
        return {key: _resolve_env_refs(value, problems, [*trail, str(key)], document) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_env_refs(value, problems, [*trail, f"[{i}]"], document) for i, value in enumerate(node)]
    if isinstance(node, str) and node.startswith(ENV_PREFIX):
        name = node[len(ENV_PREFIX):]
        if name in os.environ:
            return os.environ[name]
        entry, field = _describe_trail(trail, document)
        problems.error(entry, field, f"environment variable {name} is not set")
        return None
    return node


def _describe_trail(trail: list[str], document: dict) -> tuple[str, str]:
    """("model_list", "[0]", "litellm_params", "api_key") -> ("model_list[0] (gpt-4o)", "litellm_params.api_key")."""
    if len(trail) >= 2 and trail[1].startswith("["):
        entry = trail[0] + trail[1]
        if trail[0] == "model_list":
            item = document["model_list"][int(trail[1][1:-1])]
            if isinstance(item, dict) and isinstance(item.get("model_name"), str):
                entry += f" ({item['model_name']})"
        return entry, ".".join(trail[2:]) or trail[0]
    return (trail[0] if trail else "top level"), ".".join(trail[1:]) or (trail[0] if trail else "")


def _parse_model_list(raw: Any, problems: _Problems) -> list[ModelEntry]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.error("model_list", "model_list", "must be a list of models")
        return []
    entries = []
    for index, item in enumerate(raw):
        entry = _parse_model(index, item, problems)
        if entry is not None:
            entries.append(entry)
    return entries


def _parse_model(index: int, item: Any, problems: _Problems) -> ModelEntry | None:
    entry = f"model_list[{index}]"
    if not isinstance(item, dict):
        problems.error(entry, "entry", "must be a mapping with model_name and litellm_params")
        return None
    model_name = item.get("model_name")
    if not isinstance(model_name, str) or not model_name:
        problems.error(entry, "model_name", "is required and must be a non-empty string")
        return None
    entry = f"{entry} ({model_name})"
    for key in item:
        if key not in ("model_name", "litellm_params", "model_info"):
            problems.warn(entry, str(key), "unknown key, ignored")
    params = item.get("litellm_params")
    if not isinstance(params, dict):
        problems.error(entry, "litellm_params", "is required and must be a mapping")
        return None
    model_info = item.get("model_info") or {}
    if not isinstance(model_info, dict):
        problems.error(entry, "model_info", "must be a mapping")
        model_info = {}

    is_valid = True
    for key, value in params.items():
        check = DEPLOYMENT_CHECKS.get(key)
        if check is None:
            if key not in DEPLOYMENT_PASSTHROUGH:
                problems.warn(entry, f"litellm_params.{key}", "unknown parameter, ignored")
            continue
        if value is None:
            continue  # an unset env reference was already reported
        problem = check(value)
        if problem:
            problems.error(entry, f"litellm_params.{key}", problem)
            is_valid = False

    model = params.get("model")
    if not isinstance(model, str) or not model:
        problems.error(entry, "litellm_params.model", "is required, as \"<provider>/<model>\" (e.g. openai/gpt-4.1)")
        return None
    provider, slash, provider_model = model.partition("/")
    if not slash or not provider or not provider_model:
        problems.error(entry, "litellm_params.model",
                       f"{model!r} has no provider prefix; write \"<provider>/<model>\", e.g. openai/{model}")
        return None
    if not is_valid:
        return None

    api_base = params.get("api_base") or params.get("base_url")
    if api_base is not None:
        problem = checks.url(api_base)
        if problem:
            problems.error(entry, "litellm_params.api_base", problem)
            return None
    api_version = params.get("api_version")
    if isinstance(api_version, datetime.date):
        api_version = api_version.isoformat()
    return ModelEntry(
        index=index,
        model_name=model_name,
        model=model,
        provider=provider,
        provider_model=provider_model,
        api_base=api_base,
        api_key=params.get("api_key"),
        api_version=api_version,
        rpm=params.get("rpm"),
        tpm=params.get("tpm"),
        timeout=params.get("timeout"),
        stream_timeout=params.get("stream_timeout"),
        weight=params.get("weight"),
        order=params.get("order"),
        mock_response=params.get("mock_response"),
        headers={**(params.get("headers") or {}), **(params.get("extra_headers") or {})},
        request_defaults={name: value for name, value in params.items() if name in REQUEST_DEFAULTS},
        model_info=model_info,
        params=params,
    )


def _parse_section(document: dict, name: str, section_checks: dict[str, checks.Check], quiet: set[str],
                   problems: _Problems, typed: tuple[str, ...]) -> dict:
    """Check one settings section; return keyword arguments for its dataclass."""
    raw = document.get(name)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.error(name, name, "must be a mapping")
        return {}
    values: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in raw.items():
        check = section_checks.get(key)
        if check is None and key not in quiet:
            problems.warn(name, str(key), "unknown setting, ignored")
        if check is not None and value is not None:
            problem = check(value)
            if problem:
                problems.error(name, str(key), problem)
                continue
        if key in typed and key != "extra" and value is not None:
            values[key] = tuple(value) if isinstance(value, list) else value
        else:
            extra[key] = value
    if "extra" in typed:
        values["extra"] = extra
    return values
