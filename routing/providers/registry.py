"""Provider prefix (the text before "/" in litellm_params.model) to adapter."""
from __future__ import annotations

from routing.providers.azure import AzureAdapter
from routing.providers.base import ProviderAdapter
from routing.providers.mock import MockAdapter
from routing.providers.openai import OpenAIAdapter


class OpenAICompatibleAdapter(OpenAIAdapter):
    """LiteLLM's names for self-hosted OpenAI-compatible servers: api_base is required."""

    default_api_base = None


_openai_compatible = OpenAICompatibleAdapter()
ADAPTERS: dict[str, ProviderAdapter] = {
    "openai": OpenAIAdapter(),
    "text-completion-openai": OpenAIAdapter(),
    "azure": AzureAdapter(),
    "azure_text": AzureAdapter(),
    "mock": MockAdapter(),
    "hosted_vllm": _openai_compatible,
    "openai_like": _openai_compatible,
    "custom_openai": _openai_compatible,
    "lm_studio": _openai_compatible,
}
KNOWN_PROVIDERS = frozenset(ADAPTERS)
MOCK = ADAPTERS["mock"]


def adapter_for(provider: str) -> ProviderAdapter:
    return ADAPTERS[provider]
