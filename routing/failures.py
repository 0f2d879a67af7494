"""What kind of failure a provider error is, which decides retries, cooldowns and fallbacks."""
from __future__ import annotations

import enum

from gateway.errors import GatewayError, ProviderError, UpstreamTimeout

CONTEXT_WINDOW_MARKERS = ("context length", "context window", "context_length_exceeded", "maximum context",
                          "too many tokens", "prompt is too long", "contextwindowexceeded")
CONTENT_POLICY_MARKERS = ("content_filter", "content management policy", "content policy", "contentpolicy",
                          "safety system", "responsibleaipolicyviolation")


class Failure(enum.Enum):
    RATE_LIMIT = "RateLimitError"
    TIMEOUT = "TimeoutError"
    SERVER = "InternalServerError"
    AUTHENTICATION = "AuthenticationError"
    NOT_FOUND = "NotFoundError"
    CONTEXT_WINDOW = "ContextWindowExceededError"
    CONTENT_POLICY = "ContentPolicyViolationError"
    BAD_REQUEST = "BadRequestError"

    @property
    def is_retryable(self) -> bool:
        """Worth another attempt in the same group (maybe on another deployment)."""
        return self in (Failure.RATE_LIMIT, Failure.TIMEOUT, Failure.SERVER, Failure.AUTHENTICATION,
                        Failure.NOT_FOUND)

    @property
    def triggers_fallback(self) -> bool:
        """A plain bad request would fail the same way on any group."""
        return self is not Failure.BAD_REQUEST

    @property
    def cools_down_at_once(self) -> bool:
        return self in (Failure.RATE_LIMIT, Failure.AUTHENTICATION, Failure.NOT_FOUND)

    @property
    def counts_towards_cooldown(self) -> bool:
        return self in (Failure.TIMEOUT, Failure.SERVER)


def classify(error: GatewayError) -> Failure:
    status = error.status
    if isinstance(error, UpstreamTimeout) or status == 408:
        return Failure.TIMEOUT
    if status == 429:
        return Failure.RATE_LIMIT
    if status >= 500:
        return Failure.SERVER
    if status in (401, 403):
        return Failure.AUTHENTICATION
    if status == 404:
        return Failure.NOT_FOUND
    message = error.message.lower()
    if any(marker in message for marker in CONTEXT_WINDOW_MARKERS):
        return Failure.CONTEXT_WINDOW
    if any(marker in message for marker in CONTENT_POLICY_MARKERS):
        return Failure.CONTENT_POLICY
    return Failure.BAD_REQUEST


def is_provider_failure(error: BaseException) -> bool:
    return isinstance(error, ProviderError)
