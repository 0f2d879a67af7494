"""Router settings from the config, with LiteLLM's defaults, in one frozen value."""
from __future__ import annotations

from dataclasses import dataclass, field

from gateway.config.schema import GatewayConfig
from routing.failures import Failure
from routing.strategies import STRATEGIES

DEFAULT_STRATEGY = "simple-shuffle"
DEFAULT_NUM_RETRIES = 2
DEFAULT_ALLOWED_FAILS = 3
DEFAULT_COOLDOWN_SECONDS = 5.0
DEFAULT_MAX_FALLBACKS = 5
MAX_BACKOFF_SECONDS = 8.0
MAX_PROVIDER_RETRY_AFTER = 60.0


def _fallback_map(items: tuple) -> dict[str, tuple[str, ...]]:
    mapping: dict[str, tuple[str, ...]] = {}
    for item in items:
        for group, targets in item.items():
            mapping[str(group)] = tuple(str(target) for target in targets)
    return mapping


@dataclass(frozen=True, slots=True)
class RouterPolicy:
    strategy: str = DEFAULT_STRATEGY
    num_retries: int = DEFAULT_NUM_RETRIES
    retry_after: float = 0.0
    allowed_fails: int = DEFAULT_ALLOWED_FAILS
    cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS
    is_cooldown_disabled: bool = False
    retry_policy: dict = field(default_factory=dict)
    group_retry_policy: dict = field(default_factory=dict)
    allowed_fails_policy: dict = field(default_factory=dict)
    fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    context_window_fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    content_policy_fallbacks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_fallbacks: tuple[str, ...] = ()
    max_fallbacks: int = DEFAULT_MAX_FALLBACKS

    @classmethod
    def from_config(cls, config: GatewayConfig) -> RouterPolicy:
        router, litellm = config.router_settings, config.litellm_settings
        extra = router.extra
        num_retries = router.num_retries if router.num_retries is not None else litellm.num_retries
        allowed_fails = router.allowed_fails if router.allowed_fails is not None else litellm.extra.get("allowed_fails")
        return cls(
            strategy=router.routing_strategy if router.routing_strategy in STRATEGIES else DEFAULT_STRATEGY,
            num_retries=DEFAULT_NUM_RETRIES if num_retries is None else num_retries,
            retry_after=float(router.retry_after or 0),
            allowed_fails=DEFAULT_ALLOWED_FAILS if allowed_fails is None else allowed_fails,
            cooldown_seconds=DEFAULT_COOLDOWN_SECONDS if router.cooldown_time is None else float(router.cooldown_time),
            is_cooldown_disabled=bool(extra.get("disable_cooldowns")),
            retry_policy=dict(extra.get("retry_policy") or {}),
            group_retry_policy=dict(extra.get("model_group_retry_policy") or {}),
            allowed_fails_policy=dict(extra.get("allowed_fails_policy") or {}),
            fallbacks=_fallback_map(router.fallbacks or tuple(litellm.extra.get("fallbacks") or ())),
            context_window_fallbacks=_fallback_map(
                router.context_window_fallbacks or tuple(litellm.extra.get("context_window_fallbacks") or ())),
            content_policy_fallbacks=_fallback_map(
                router.content_policy_fallbacks or tuple(litellm.extra.get("content_policy_fallbacks") or ())),
            default_fallbacks=tuple(router.default_fallbacks or litellm.extra.get("default_fallbacks") or ()),
            max_fallbacks=int(extra.get("max_fallbacks") or DEFAULT_MAX_FALLBACKS),
        )

    def retries_for(self, group: str, failure: Failure, requested: int | None) -> int:
        """How many retries a failure of this kind gets in this group. A client
        may ask for fewer than num_retries, never for more: each retry may add
        seconds of backoff and another call to a provider."""
        name = f"{failure.value}Retries"
        for policy in (self.group_retry_policy.get(group) or {}, self.retry_policy):
            if name in policy:
                return int(policy[name])
        return self.num_retries if requested is None else min(requested, self.num_retries)

    def allowed_fails_for(self, failure: Failure) -> int:
        return int(self.allowed_fails_policy.get(f"{failure.value}AllowedFails", self.allowed_fails))

    def fallback_lists(self, group: str) -> tuple[tuple[str, ...], ...]:
        """Every list `fallback_groups` may return for this group, whatever the failure."""
        general = self.fallbacks.get(group) or self.fallbacks.get("*") or self.default_fallbacks
        lists = (self.context_window_fallbacks.get(group), self.content_policy_fallbacks.get(group), general)
        return tuple(names for names in lists if names)

    def fallback_groups(self, group: str, failure: Failure) -> tuple[str, ...]:
        if failure is Failure.CONTEXT_WINDOW and group in self.context_window_fallbacks:
            return self.context_window_fallbacks[group]
        if failure is Failure.CONTENT_POLICY and group in self.content_policy_fallbacks:
            return self.content_policy_fallbacks[group]
        if not failure.triggers_fallback:
            return ()
        return self.fallbacks.get(group) or self.fallbacks.get("*") or self.default_fallbacks
