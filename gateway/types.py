"""Frozen messages that cross module boundaries on the hot path."""
from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal


class CallType(enum.Enum):
    """What the client asked for; the value is the OpenAI path suffix."""

    CHAT = "chat/completions"
    COMPLETION = "completions"
    EMBEDDING = "embeddings"
    RESPONSES = "responses"

    @property
    def is_streamable(self) -> bool:
        return self is not CallType.EMBEDDING


@dataclass(frozen=True, slots=True)
class ProxyCall:
    """One parsed client request. `body` is the OpenAI payload minus the fields
    the gateway consumes itself (metadata, mock_response, timeout...)."""

    call_type: CallType
    route: str
    model: str
    body: dict
    request_id: str
    api_key: str | None = None
    is_stream: bool = False
    wants_usage_chunk: bool = False
    mock_response: str | None = None
    timeout: float | None = None
    num_retries: int | None = None
    end_user: str | None = None  # LiteLLM's customer: header, else body `user`, else metadata.user_id
    tags: tuple[str, ...] = ()  # body `tags`, metadata.tags, x-litellm-tags
    metadata: dict = field(default_factory=dict)  # for the spend log: body metadata + metadata headers
    started_at: float = 0.0  # epoch seconds when the gateway received the request
    fallbacks: tuple[str, ...] | None = None  # per request; () when disable_fallbacks
    # Responses API: the stored response this call continues. The gateway has
    # already put that conversation into body["input"]; the id is kept to echo back.
    previous_response_id: str | None = None
    # api_base/api_key/extra_headers a client may set only when an admin allows it.
    client_credentials: dict = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits and budget of one key, team, user or end-user, as last loaded."""

    rpm: int | None = None
    tpm: int | None = None
    parallel: int | None = None
    max_budget: Decimal | None = None
    soft_budget: Decimal | None = None
    spend: Decimal = Decimal(0)

    @property
    def is_empty(self) -> bool:
        return self.rpm is None and self.tpm is None and self.parallel is None and self.max_budget is None


@dataclass(frozen=True, slots=True)
class KeyContext:
    """Who is calling: the master key, or a virtual key with everything the hot
    path needs to admit its requests (held in the key cache, never the raw key)."""

    is_admin: bool
    key_name: str = ""
    token: str = ""  # SHA-256 of the raw key; "" for the master key
    key_alias: str | None = None
    user_id: str | None = None
    team_id: str | None = None
    team_alias: str | None = None
    models: tuple[str, ...] = ()
    team_models: tuple[str, ...] = ()
    user_models: tuple[str, ...] = ()  # the models of the key's user (/user/new); () = no limit of the user's
    aliases: dict = field(default_factory=dict)
    expires_at: float | None = None  # epoch seconds
    is_blocked: bool = False
    is_team_blocked: bool = False
    key_limits: Limits = field(default_factory=Limits)
    team_limits: Limits = field(default_factory=Limits)
    user_limits: Limits = field(default_factory=Limits)
    # The key's user within its team: max_budget_in_team and the spend made there.
    member_limits: Limits = field(default_factory=Limits)
    model_rpm_limit: dict = field(default_factory=dict)
    model_tpm_limit: dict = field(default_factory=dict)
    allowed_routes: tuple[str, ...] = ()  # routes the key may call (keys/routes.py); () = every route
    metadata: dict = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_openai(cls, usage: dict | None) -> Usage | None:
        """Chat/Completions/Embeddings usage, or the Responses API's input/output tokens."""
        if not isinstance(usage, dict):
            return None
        prompt = int(usage.get("prompt_tokens") or usage.get("input_tokens") or 0)
        completion = int(usage.get("completion_tokens") or usage.get("output_tokens") or 0)
        return cls(prompt, completion, int(usage.get("total_tokens") or prompt + completion))


# Responses API stream events that carry the finished response, usage included.
FINAL_RESPONSE_EVENTS = frozenset({"response.completed", "response.incomplete", "response.failed"})


def usage_in_chunk(chunk: dict) -> dict | None:
    """The usage object a stream chunk carries, if any: a chat/completions
    usage chunk, or the response of a Responses API final event."""
    usage = chunk.get("usage")
    if usage:
        return usage
    if chunk.get("type") in FINAL_RESPONSE_EVENTS:
        response = chunk.get("response")
        return response.get("usage") if isinstance(response, dict) else None
    return None


@dataclass(frozen=True, slots=True)
class ProviderReply:
    """A complete (non-streamed) answer from a provider."""

    body: dict
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProviderStream:
    """An upstream stream whose status line has arrived and was a success.
    `chunks` yields parsed OpenAI chunk objects; closing it closes the upstream."""

    chunks: AsyncIterator[dict]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ProxyReply:
    """What the pipeline hands back to the view."""

    deployment_id: str
    model_group: str
    api_base: str = ""  # without credentials or query string, for x-litellm-model-api-base
    attempted_retries: int = 0
    attempted_fallbacks: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # the gateway's own, e.g. x-ratelimit-*
    reply: ProviderReply | None = None
    stream: ProviderStream | None = None


@dataclass(frozen=True, slots=True)
class SpendEvent:
    """One finished request, for the spend log (spend/recorder.py queues it).
    Times are epoch seconds; money is a Decimal string-safe value."""

    request_id: str
    call_type: str
    start_time: float
    end_time: float
    api_key: str = ""  # key hash; "" for the master key
    key_alias: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    end_user: str | None = None
    model_group: str = ""
    model: str = ""
    model_id: str = ""
    provider: str = ""
    api_base: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    spend: Decimal = Decimal(0)
    is_priced: bool = True
    latency_ms: float | None = None
    ttft_ms: float | None = None
    status: str = "success"
    error_class: str | None = None
    error_status: int | None = None
    cache_hit: bool = False
    tags: tuple[str, ...] = ()
    metadata: dict = field(default_factory=dict)
    messages: object = None  # only with store_prompts_in_spend_logs
    response: object = None
