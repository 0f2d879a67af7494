"""Every setting of a LiteLLM config the gateway knows, and what it does with it:

- acted on;
- accepted, not acted on yet: a WARNING at start-up;
- NOT ENFORCED: accepted, not acted on, and it restricts access, spend or
  content (guardrails, IP allow-lists, budgets...), so an operator who trusts
  it would be misled: an ERROR at start-up, and `check_config --strict` fails.

A setting is reported only when its value asks for something (`cache: false`
asks for nothing). Keys in no table are "unknown setting, ignored" warnings.
When a later change makes a setting work, it moves to `acted` here, and the
README's table (generated from this module: `support_table_markdown`) follows.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.config import checks
from gateway.config.schema import Unacted


class Support(enum.Enum):
    ACTED = "acted on"
    NOT_YET = "accepted, not acted on yet"
    NOT_ENFORCED = "NOT ENFORCED"


def _is_set(value: Any) -> bool:
    """Does the value ask for something? `false` read from the environment is text."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "no", "off", "0", "none", "null")
    return value not in (None, False, [], {}, 0)


@dataclass(frozen=True, slots=True)
class Setting:
    support: Support
    check: checks.Check = checks.anything
    why: str = ""
    asks: Callable[[Any], bool] = _is_set  # does this value ask for something?
    # For lists whose items differ (callbacks, guardrails): one report per item.
    per_item: Callable[[str, Any], Unacted | None] | None = None

    def report(self, path: str, value: Any) -> list[Unacted]:
        if self.per_item is not None:
            items = value if isinstance(value, list) else [value]
            found = (self.per_item(f"{path}[{i}]", item) for i, item in enumerate(items))
            return [item for item in found if item is not None]
        if self.support is Support.ACTED or not self.asks(value):
            return []
        return [Unacted(path, self.support is Support.NOT_ENFORCED, self.why)]


def acted(check: checks.Check = checks.anything) -> Setting:
    return Setting(Support.ACTED, check)


def not_yet(why: str, *, check: checks.Check = checks.anything, asks: Callable[[Any], bool] = _is_set) -> Setting:
    return Setting(Support.NOT_YET, check, why=why, asks=asks)


def not_enforced(why: str, *, check: checks.Check = checks.anything,
                 asks: Callable[[Any], bool] = _is_set) -> Setting:
    return Setting(Support.NOT_ENFORCED, check, why=why, asks=asks)


# Integrations that only receive copies of calls: leaving them out loses
# telemetry, never a check. Any other callback (a guardrail such as
# lakera_prompt_injection, or the operator's own Python hook) may screen or
# block requests, so it is NOT ENFORCED.
LOGGING_CALLBACKS = frozenset({
    "langfuse", "langfuse_otel", "langsmith", "lunary", "helicone", "datadog", "datadog_llm_observability",
    "s3", "s3_v2", "gcs_bucket", "gcs_pubsub", "azure_storage", "dynamodb", "sqs", "prometheus",
    "prometheus_system", "otel", "arize", "arize_phoenix", "braintrust", "mlflow", "opik", "logfire", "posthog",
    "greenscale", "literalai", "athina", "supabase", "traceloop", "openmeter", "lago", "wandb",
    "weights_biases", "custom_callback_api", "generic", "generic_api", "clickhouse", "galileo", "deepeval",
    "agentops", "levo", "sentry", "slack", "email", "humanloop", "aim", "cloudzero", "focus", "vantage",
})


def _callback(path: str, name: Any) -> Unacted:
    label = f"{path} ({name})"
    if name in LOGGING_CALLBACKS:
        return Unacted(label, False, "this integration is not built yet: nothing is sent to it")
    return Unacted(label, True, "this callback is not run: if it screens, redacts or blocks requests, "
                                "nothing does")


def _guardrail(path: str, item: Any) -> Unacted:
    name = None
    if isinstance(item, dict):
        name = item.get("guardrail_name") or (next(iter(item)) if len(item) == 1 else None)
    label = f"{path} ({name})" if name else path
    return Unacted(label, True, "guardrails are not run: prompts and answers pass unscreened")


CALLBACKS = Setting(Support.NOT_YET, checks.sequence, per_item=_callback)
GUARDRAILS = Setting(Support.NOT_ENFORCED, checks.sequence, per_item=_guardrail)

_BUDGET = "proxy-wide budgets are not kept: spend is not capped by it"
_KEY_RULES = "rules for creating keys are not applied: /key/generate accepts what the caller sends"
_ROUTES = "route restrictions are not applied: every route is served"

# Top-level sections besides model_list and the four settings sections.
TOP_LEVEL: dict[str, Setting] = {
    "include": acted(checks.string_list),
    "credential_list": acted(checks.sequence),
    "guardrails": GUARDRAILS,
    "policies": not_enforced("guardrail policies are not run"),
    "policy_attachments": not_enforced("guardrail policies are not run"),
    "mcp_servers": not_yet("MCP is not served"),
    "mcp_tools": not_yet("MCP is not served"),
    "callback_settings": not_yet("no callback is run"),
    "vector_store_registry": not_yet("vector stores are not served"),
    "search_tools": not_yet("search tools are not served"),
    "prompts": not_yet("prompt management is not served"),
    "assistant_settings": not_yet("the Assistants API is not served"),
    "finetune_settings": not_yet("fine-tuning routes are not served"),
    "files_settings": not_yet("/v1/files is not served"),
    "default_vertex_config": not_yet("Vertex AI is not served"),
    "agent_list": not_yet("agents are not served"),
}

ROUTER_SETTINGS: dict[str, Setting] = {
    "routing_strategy": acted(checks.string),
    "num_retries": acted(checks.integer()),
    "timeout": acted(checks.number(exclusive=True)),
    "stream_timeout": acted(checks.number(exclusive=True)),
    "allowed_fails": acted(checks.integer()),
    "cooldown_time": acted(checks.number()),
    "retry_after": acted(checks.number()),
    "fallbacks": acted(checks.fallback_list),
    "context_window_fallbacks": acted(checks.fallback_list),
    "content_policy_fallbacks": acted(checks.fallback_list),
    "default_fallbacks": acted(checks.string_list),
    "max_fallbacks": acted(checks.integer()),
    "model_group_alias": acted(checks.mapping),
    "disable_cooldowns": acted(checks.boolean),
    "retry_policy": acted(checks.mapping),
    "model_group_retry_policy": acted(checks.mapping),
    "allowed_fails_policy": acted(checks.mapping),
    # Deployments the gateway cannot build are always skipped, never fatal.
    "ignore_invalid_deployments": acted(checks.boolean),
    "provider_budget_config": not_enforced("provider budgets are not kept: spend per provider is not capped"),
    "enable_tag_filtering": not_enforced("tag routing is not applied: any deployment of a group serves any tag"),
    "tag_filtering_match_any": not_enforced("tag routing is not applied"),
    "default_max_parallel_requests": not_enforced("per-deployment parallel limits are not applied"),
    "guardrail_list": not_enforced("guardrails are not run"),
    "optional_pre_call_checks": not_enforced("these pre-call checks are not run"),
    "enable_pre_call_checks": not_yet("deployments are not filtered by context window before the call"),
    "enable_pre_call_check": not_yet("deployments are not filtered by context window before the call"),
    "redis_host": not_yet("shared state uses REDIS_URL"),
    "redis_port": not_yet("shared state uses REDIS_URL", check=checks.integer()),
    "redis_password": not_yet("shared state uses REDIS_URL"),
    "redis_db": not_yet("shared state uses REDIS_URL"),
    "redis_url": not_yet("shared state uses REDIS_URL"),
    "cache_kwargs": not_yet("shared state uses REDIS_URL"),
    "routing_strategy_args": not_yet("strategies use their built-in windows"),
    "cache_responses": not_yet("responses are not cached"),
    "caching_groups": not_yet("responses are not cached"),
    "default_litellm_params": not_yet("not added to requests"),
    "alerting_config": not_yet("alerts are not sent"),
    "client_ttl": not_yet("the gateway keeps one pooled client per process"),
    "polling_interval": not_yet("there is no request queue to poll"),
    "default_priority": not_yet("there is no priority queue"),
    "model_group_affinity_config": not_yet("no deployment affinity"),
    "deployment_affinity_ttl_seconds": not_yet("no deployment affinity"),
    "set_verbose": not_yet("log levels come from LITELLM_LOG"),
    "debug_level": not_yet("log levels come from LITELLM_LOG"),
}

LITELLM_SETTINGS: dict[str, Setting] = {
    "request_timeout": acted(checks.number(exclusive=True)),
    "num_retries": acted(checks.integer()),
    "allowed_fails": acted(checks.integer()),
    "model_alias_map": acted(checks.mapping),
    "fallbacks": acted(checks.fallback_list),
    "context_window_fallbacks": acted(checks.fallback_list),
    "content_policy_fallbacks": acted(checks.fallback_list),
    "default_fallbacks": acted(checks.string_list),
    "max_end_user_budget": acted(checks.number()),
    "budget_exceeded_status_code": acted(checks.integer()),
    "timezone": acted(checks.string),
    # Satisfied by construction: nothing sends messages or key details to an
    # integration, none is sent telemetry, and no client `no-log` is honoured.
    "turn_off_message_logging": acted(checks.boolean),
    "redact_user_api_key_info": acted(checks.boolean),
    "redact_messages_in_exceptions": acted(checks.boolean),
    "global_disable_no_log_param": acted(checks.boolean),
    "telemetry": acted(checks.boolean),
    # Where a client-side api_base may point (gateway/proxy/client_credentials.py).
    "user_url_validation": acted(checks.boolean),
    "user_url_allowed_hosts": acted(checks.string_list),
    "guardrails": GUARDRAILS,
    "callbacks": CALLBACKS,
    "success_callback": CALLBACKS,
    "failure_callback": CALLBACKS,
    "service_callback": CALLBACKS,
    "service_callbacks": CALLBACKS,
    "audit_log_callbacks": CALLBACKS,
    "max_budget": not_enforced(_BUDGET),
    "budget_duration": not_enforced(_BUDGET),
    "max_ui_session_budget": not_enforced("UI session budgets are not kept"),
    "key_generation_settings": not_enforced(_KEY_RULES),
    "upperbound_key_generate_params": not_enforced(_KEY_RULES),
    "default_key_generate_params": not_enforced(_KEY_RULES),
    "default_internal_user_params": not_enforced("defaults for new users are not applied"),
    "default_team_params": not_enforced("defaults for new teams are not applied"),
    "max_internal_user_budget": not_enforced("internal users get no default budget"),
    "internal_user_budget_duration": not_enforced("internal users get no default budget"),
    "default_max_internal_user_budget": not_enforced("internal users get no default budget"),
    "default_end_user_params": not_enforced("defaults for end users are not applied"),
    "post_call_rules": not_enforced("post-call rules are not run"),
    "enable_json_schema_validation": not_enforced("answers are not validated against the requested schema"),
    "enable_key_alias_format_validation": not_enforced("key aliases are not validated"),
    "key_alias_pattern": not_enforced("key aliases are not validated"),
    "blocked_user_list": not_enforced("the blocked user list is not checked"),
    "banned_keywords_list": not_enforced("banned keywords are not screened"),
    "llamaguard_model_name": not_enforced("LlamaGuard moderation is not run"),
    "llamaguard_unsafe_content_categories": not_enforced("LlamaGuard moderation is not run"),
    "presidio_ad_hoc_recognizers": not_enforced("Presidio PII masking is not run"),
    "output_parse_pii": not_enforced("Presidio PII masking is not run"),
    "llm_guard_mode": not_enforced("LLM Guard is not run"),
    "google_moderation_confidence_threshold": not_enforced("Google moderation is not run"),
    "openai_moderations_model_name": not_enforced("OpenAI moderation is not run"),
    "max_parallel_requests": not_enforced("the proxy-wide parallel limit is not applied"),
    "require_auth_for_metrics_endpoint": not_yet("/metrics is not served"),
    "cache": not_yet("responses are not cached"),
    "cache_params": not_yet("responses are not cached"),
    "drop_params": not_yet("parameters are sent to OpenAI-compatible providers as they are", check=checks.boolean),
    "modify_params": not_yet("messages are sent to providers as they are"),
    "json_logs": not_yet("logs are plain text"),
    "set_verbose": not_yet("log levels come from LITELLM_LOG"),
    "allow_user_auth": not_yet("/user/auth is not served"),
    "default_team_settings": not_yet("per-team callbacks are not run"),
    "disable_end_user_cost_tracking": not_yet("end-user spend is tracked"),
    "return_response_headers": not_yet("provider headers are not passed back"),
    "forward_client_headers_to_llm_api": not_yet("client headers are not forwarded to providers"),
    "extra_spend_tag_headers": not_yet("tags come from the body and x-litellm-tags"),
    "enable_preview_features": not_yet("no preview features"),
    "custom_provider_map": not_yet("custom providers are not loaded"),
    "model_group_settings": not_yet("not applied"),
    "public_model_groups": not_yet("not applied"),
    "use_chat_completions_url_for_anthropic_messages": not_yet("Anthropic is not served"),
    "ssl_verify": not_yet("provider certificates are always verified"),
    "force_ipv4": not_yet("not applied"),
}

GENERAL_SETTINGS: dict[str, Setting] = {
    "master_key": acted(checks.string),
    "allow_client_side_credentials": acted(checks.boolean),
    "litellm_key_header_name": acted(checks.string),
    "completion_model": acted(checks.string),
    "max_request_size_mb": acted(checks.number(exclusive=True)),
    "response_model_name": acted(checks.one_of("model_group", "provider")),
    "responses_ttl": acted(checks.duration),
    "store_prompts_in_spend_logs": acted(checks.boolean),
    "proxy_batch_write_at": acted(checks.number(exclusive=True)),
    "maximum_spend_logs_retention_period": acted(checks.string),
    # Satisfied by construction: the master key is never stored, hashed into
    # the database or returned.
    "disable_master_key_return": acted(checks.boolean),
    "disable_adding_master_key_hash_to_db": acted(checks.boolean),
    "allow_mock_response": acted(checks.boolean),  # ours: mock_response for keys that are not admins
    "user_url_validation": acted(checks.boolean),
    "user_url_allowed_hosts": acted(checks.string_list),
    "cors_allow_origins": acted(checks.string_list),
    "cors_allow_methods": acted(checks.string_list),
    "cors_allow_headers": acted(checks.string_list),
    "cors_allow_credentials": acted(checks.boolean),
    "custom_auth": not_enforced("the custom auth function is not run: keys are checked the usual way only"),
    "allowed_routes": not_enforced(_ROUTES),
    "admin_only_routes": not_enforced(_ROUTES),
    "allowed_ips": not_enforced("the IP allow-list is not applied: any address may call"),
    "enforce_user_param": not_enforced("requests without `user` are accepted"),
    "enforced_params": not_enforced("requests without these parameters are accepted"),
    "service_account_settings": not_enforced("service-account rules are not applied"),
    "reject_clientside_metadata_tags": not_enforced("client-sent tags are accepted"),
    "max_parallel_requests": not_enforced("this parallel limit is not applied"),
    "global_max_parallel_requests": not_enforced("the proxy-wide parallel limit is not applied"),
    "max_response_size_mb": not_enforced("answers are not size-limited"),
    "custom_key_generate": not_enforced(_KEY_RULES),
    "default_team_disabled": not_enforced("personal keys may be created"),
    "ui_access_mode": not_enforced("UI access is not restricted", asks=lambda value: value not in (None, "all")),
    "health_check_details": not_enforced("/health shows details", asks=lambda value: value is False),
    "disable_reset_budget": not_enforced("budgets are reset on their schedule"),
    "provider_url_destination_allowed_hosts": not_enforced("this host allow-list is not applied"),
    "fail_closed_rate_limit_enforcement": not_enforced("not applied"),
    "user_header_name": not_yet("the end user comes from the body's `user`", check=checks.string),
    "database_url": not_yet("the database is DATABASE_URL"),
    "database_connection_pool_limit": not_yet("connections follow DATABASE_CONN_MAX_AGE"),
    "database_connection_timeout": not_yet("not applied"),
    "store_model_in_db": not_yet("models come from the config file only"),
    "disable_spend_logs": not_yet("every request is written to the spend log (without prompts)"),
    "proxy_budget_rescheduler_min_time": not_yet("budgets are reset on the built-in schedule"),
    "proxy_budget_rescheduler_max_time": not_yet("budgets are reset on the built-in schedule"),
    "alerting": not_yet("alerts are not sent"),
    "alerting_threshold": not_yet("alerts are not sent"),
    "alert_types": not_yet("alerts are not sent"),
    "alerting_args": not_yet("alerts are not sent"),
    "alert_to_webhook_url": not_yet("alerts are not sent"),
    "spend_report_frequency": not_yet("alerts are not sent"),
    "background_health_checks": not_yet("/health probes when called"),
    "health_check_interval": not_yet("/health probes when called"),
    "enable_jwt_auth": not_yet("JWTs are refused as unknown keys"),
    "litellm_jwtauth": not_yet("JWTs are refused as unknown keys"),
    "enable_oauth2_auth": not_yet("OAuth2 tokens are refused as unknown keys"),
    "enable_oauth2_proxy_auth": not_yet("OAuth2 tokens are refused as unknown keys"),
    "public_routes": not_yet("every route keeps its usual auth"),
    "use_x_forwarded_for": not_yet("not applied"),
    "pass_through_endpoints": not_yet("pass-through routes are not served"),
    "infer_model_from_keys": not_yet("not applied"),
    "image_generation_model": not_yet("image generation is not served"),
    "embedding_model": not_yet("not applied"),
    "moderation_model": not_yet("moderation is not served"),
    "key_management_system": not_yet("secrets come from os.environ/ references only"),
    "key_management_settings": not_yet("secrets come from os.environ/ references only"),
    "use_azure_key_vault": not_yet("secrets come from os.environ/ references only"),
    "use_google_kms": not_yet("secrets come from os.environ/ references only"),
    "litellm_salt_key": not_yet("provider keys come from the config file and the environment"),
    "user_api_key_cache_ttl": not_yet("the key cache has its own lifetime"),
    "use_redis_transaction_buffer": not_yet("spend is always buffered"),
    "allow_requests_on_db_unavailable": not_yet("not applied"),
    "disable_retry_on_max_parallel_request_limit_error": not_yet("not applied"),
    "forward_openai_org_id": not_yet("client headers are not forwarded to providers"),
    "forward_client_headers_to_llm_api": not_yet("client headers are not forwarded to providers"),
    "disable_prisma_schema_update": not_yet("serve applies migrations unless --skip-migrations"),
    # LiteLLM has no such switch: CORS headers are sent all the same (every origin unless
    # cors_allow_origins narrows it), so only `false` asks for something not done.
    "enable_cors": not_yet("CORS headers are sent all the same; narrow them with cors_allow_origins",
                           asks=lambda value: value is False or str(value).strip().lower() in ("false", "no", "off")),
}

# Per deployment, under model_list[].litellm_params.
DEPLOYMENT_PARAMS: dict[str, Setting] = {
    "model": acted(checks.string),
    "api_base": acted(checks.url),
    "base_url": acted(checks.url),
    "api_key": acted(checks.string),
    "api_version": acted(checks.version_string),
    "organization": acted(checks.string),
    "custom_llm_provider": acted(checks.string),
    "litellm_credential_name": acted(checks.string),
    "rpm": acted(checks.integer()),
    "tpm": acted(checks.integer()),
    "timeout": acted(checks.number(exclusive=True)),
    "stream_timeout": acted(checks.number(exclusive=True)),
    "weight": acted(checks.number()),
    "order": acted(checks.integer()),
    "mock_response": acted(checks.string),
    "headers": acted(checks.mapping),
    "extra_headers": acted(checks.mapping),
    "extra_body": acted(checks.mapping),
    "input_cost_per_token": acted(checks.number()),
    "output_cost_per_token": acted(checks.number()),
    "cache_read_input_token_cost": acted(checks.number()),
    "cache_creation_input_token_cost": acted(checks.number()),
    # LiteLLM's router also sets SDK retries to 0 and retries on its own.
    "max_retries": acted(checks.integer()),
    "max_budget": not_enforced("deployment budgets are not kept"),
    "budget_duration": not_enforced("deployment budgets are not kept"),
    "max_parallel_requests": not_enforced("per-deployment parallel limits are not applied"),
    "default_api_key_tpm_limit": not_enforced("default key limits are not applied"),
    "default_api_key_rpm_limit": not_enforced("default key limits are not applied"),
    "rpd": not_enforced("daily limits are not applied"),
    "tpd": not_enforced("daily limits are not applied"),
    "itpm": not_enforced("input/output token limits are not applied"),
    "otpm": not_enforced("input/output token limits are not applied"),
    "tags": not_yet("tag routing is not applied"),
    "tag_regex": not_yet("tag routing is not applied"),
    "num_retries": not_yet("retries come from router_settings"),
    "configurable_clientside_auth_params": not_yet("clients may not send credentials per deployment"),
    "drop_params": not_yet("parameters are sent as they are"),
    "additional_drop_params": not_yet("parameters are sent as they are"),
    "merge_reasoning_content_in_choices": not_yet("reasoning is passed on as the provider sends it"),
    "input_cost_per_second": not_yet("calls are priced per token"),
    "output_cost_per_second": not_yet("calls are priced per token"),
    "max_input_tokens": not_yet("not checked before the call"),
    "max_output_tokens": not_yet("not checked before the call"),
    "use_in_pass_through": not_yet("pass-through routes are not served"),
    "azure_ad_token": not_yet("Azure AD auth is not supported: only api keys"),
    "tenant_id": not_yet("Azure AD auth is not supported: only api keys"),
    "client_id": not_yet("Azure AD auth is not supported: only api keys"),
    "client_secret": not_yet("Azure AD auth is not supported: only api keys"),
    "azure_username": not_yet("Azure AD auth is not supported: only api keys"),
    "azure_password": not_yet("Azure AD auth is not supported: only api keys"),
    "stream": not_yet("a call streams when the client asks"),
    "ssl_verify": not_yet("provider certificates are always verified"),
    "keepalive_seconds": not_yet("the pooled client keeps its own connections"),
}
# OpenAI request parameters a deployment may set: sent as defaults, the client's own values win.
REQUEST_DEFAULTS = frozenset({"temperature", "max_tokens", "max_completion_tokens", "top_p", "seed",
                              "frequency_penalty", "presence_penalty", "stop", "response_format",
                              "reasoning_effort", "parallel_tool_calls", "n", "logit_bias", "service_tier",
                              "verbosity", "modalities"})
# model_info is free-form (descriptions, UI hints shown by /model/info); these keys
# change what the gateway does or who may call a model.
MODEL_INFO: dict[str, Setting] = {
    "id": acted(),
    "mode": acted(),
    "base_model": acted(),
    "supported_endpoints": acted(),
    "input_cost_per_token": acted(),
    "output_cost_per_token": acted(),
    "cache_read_input_token_cost": acted(),
    "cache_creation_input_token_cost": acted(),
    "team_id": not_enforced("team-only models are open to every key allowed the group"),
    "access_windows": not_enforced("access windows are not applied"),
    "blocked": not_enforced("the model is not blocked"),
    "access_groups": acted(),
}

SECTIONS: dict[str, dict[str, Setting]] = {
    "router_settings": ROUTER_SETTINGS,
    "litellm_settings": LITELLM_SETTINGS,
    "general_settings": GENERAL_SETTINGS,
}


def support_table_markdown() -> str:
    """The README's table of settings by what the gateway does with them."""
    rows = ["| where | acted on | accepted, not acted on yet (WARNING) | NOT ENFORCED (ERROR; `--strict` fails) |",
            "|---|---|---|---|"]
    tables = {"top level": TOP_LEVEL, **SECTIONS, "model_list[].litellm_params": DEPLOYMENT_PARAMS,
              "model_list[].model_info": MODEL_INFO}
    for where, table in tables.items():
        cells = []
        for support in Support:
            names = [name for name, setting in table.items() if setting.support is support]
            if where == "model_list[].litellm_params" and support is Support.ACTED:
                names.append("OpenAI request parameters (" + ", ".join(sorted(REQUEST_DEFAULTS)) + ")")
            cells.append(", ".join(f"`{name}`" if " " not in name else name for name in names) or "none")
        rows.append(f"| `{where}` | " + " | ".join(cells) + " |")
    return "\n".join(rows)
