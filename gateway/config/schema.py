"""The LiteLLM config file as typed, frozen dataclasses.

Only what the gateway reads is typed; every other key LiteLLM knows is kept in
`extra` so nothing a user wrote is silently lost, and keys nobody knows are
reported as warnings by the loader.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class ConfigError(Exception):
    """Invalid configuration. Each problem names the file, the entry and the field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One item of `model_list`, with os.environ/ references resolved."""

    index: int
    model_name: str
    model: str  # "<provider>/<model or azure deployment>"
    provider: str
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

    @property
    def model_names(self) -> list[str]:
        return list(dict.fromkeys(entry.model_name for entry in self.model_list))
