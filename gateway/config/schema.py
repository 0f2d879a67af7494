"""The LiteLLM config file as typed, frozen dataclasses.

Only what the gateway reads is typed; every other key LiteLLM knows is kept in
`extra` so nothing a user wrote is silently lost, and keys nobody knows are
reported as warnings by the loader.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(Exception):
    """Invalid configuration. Each problem names the file, the entry and the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Unacted:
    """A setting the config asks for that the gateway does not act on yet.
    Security-relevant ones (guardrails, anything that restricts access, spend
    or content) are reported as NOT ENFORCED."""

    path: str  # "litellm_settings.cache", "guardrails[0] (prompt_injection)"
    is_security: bool
    why: str

    def describe(self) -> str:
        status = "NOT ENFORCED" if self.is_security else "accepted, not acted on yet"
        return f"{self.path}: {status}: {self.why}"


@dataclass(frozen=True, slots=True)
class SkippedDeployment:
    """A model_list entry the gateway cannot serve: left out, as LiteLLM leaves
    out a deployment it cannot build, and reported at start-up."""

    entry: str  # "model_list[3] (claude)"
    reason: str
    index: int = 0  # its place in model_list, to report in file order

    def describe(self) -> str:
        return f"{self.entry}: not served: {self.reason}"


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One item of `model_list`, with os.environ/ references resolved."""

    index: int
    model_name: str
    model: str  # as written: "<provider>/<model or azure deployment>", a bare name, or "*"
    provider: str  # after LiteLLM's inference; "" for a "*" entry, whose calls name the model
    provider_model: str
    api_base: str | None = field(default=None, repr=False)  # may carry user:password@
    api_key: str | None = field(default=None, repr=False)
    api_version: str | None = None
    rpm: int | None = None
    tpm: int | None = None
    timeout: float | None = None
    stream_timeout: float | None = None
    weight: float | None = None
    order: int | None = None
    mock_response: str | None = None
    headers: dict = field(default_factory=dict, repr=False)
    # OpenAI parameters from litellm_params (temperature...): defaults under the client's own.
    request_defaults: dict = field(default_factory=dict)
    model_info: dict = field(default_factory=dict)
    # Every litellm_param as written (after env resolution). Holds secrets: never log it.
    params: dict = field(default_factory=dict, repr=False)

    @property
    def entry(self) -> str:
        return f"model_list[{self.index}] ({self.model_name})"

    @property
    def is_wildcard(self) -> bool:
        """A `model_name` with "*" stands for every model name it matches."""
        return "*" in self.model_name


@dataclass(frozen=True, slots=True)
class RouterSettings:
    routing_strategy: str = "simple-shuffle"
    num_retries: int | None = None
    timeout: float | None = None
    stream_timeout: float | None = None
    allowed_fails: int | None = None
    cooldown_time: float | None = None
    retry_after: float | None = None
    fallbacks: tuple = ()
    context_window_fallbacks: tuple = ()
    content_policy_fallbacks: tuple = ()
    default_fallbacks: tuple = ()
    model_group_alias: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict, repr=False)  # may hold redis_password


@dataclass(frozen=True, slots=True)
class LitellmSettings:
    request_timeout: float | None = None
    num_retries: int | None = None
    drop_params: bool = False
    model_alias_map: dict = field(default_factory=dict)
    callbacks: tuple = ()
    extra: dict = field(default_factory=dict, repr=False)  # cache_params may hold a password


@dataclass(frozen=True, slots=True)
class GeneralSettings:
    master_key: str | None = field(default=None, repr=False)
    allow_client_side_credentials: bool = False
    litellm_key_header_name: str | None = None
    user_header_name: str | None = None
    completion_model: str | None = None
    max_request_size_mb: float | None = None
    # [v] LiteLLM 1.110 answers with the group name the client asked for,
    # older releases with the provider's model id. "model_group" | "provider".
    response_model_name: str = "model_group"
    extra: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    path: Path | None
    model_list: tuple[ModelEntry, ...] = ()
    router_settings: RouterSettings = field(default_factory=RouterSettings)
    litellm_settings: LitellmSettings = field(default_factory=LitellmSettings)
    general_settings: GeneralSettings = field(default_factory=GeneralSettings)
    warnings: tuple[str, ...] = ()
    skipped: tuple[SkippedDeployment, ...] = ()
    unacted: tuple[Unacted, ...] = ()
    # The provider variables (OPENAI_API_KEY...) as they were at load time, for
    # wildcard entries resolved per request. Secrets: never log it.
    provider_environ: dict = field(default_factory=dict, repr=False)

    @property
    def source(self) -> str:
        return str(self.path) if self.path else "config"

    @property
    def not_enforced(self) -> tuple[Unacted, ...]:
        return tuple(item for item in self.unacted if item.is_security)

    def report(self) -> list[tuple[int, str]]:
        """(logging level, line), one line per thing start-up must tell the
        operator: deployments left out and settings not enforced at ERROR, settings
        not acted on yet and other warnings at WARNING."""
        lines = [(logging.ERROR, f"{self.source}: {item.describe()}") for item in self.skipped]
        lines += [(logging.ERROR if item.is_security else logging.WARNING, f"{self.source}: {item.describe()}")
                  for item in sorted(self.unacted, key=lambda item: not item.is_security)]
        lines += [(logging.WARNING, warning) for warning in self.warnings]
        return lines

    @property
    def model_names(self) -> list[str]:
        return list(dict.fromkeys(entry.model_name for entry in self.model_list))
