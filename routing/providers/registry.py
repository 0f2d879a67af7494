"""Provider prefix (the text before "/" in litellm_params.model) to adapter."""
from __future__ import annotations

from gateway.config.providers import OPENAI_COMPATIBLE
from gateway.types import CallType, ProxyCall
from routing.deployments import Deployment
from routing.providers.azure import AzureAdapter
from routing.providers.base import ProviderAdapter
from routing.providers.mock import MockAdapter
from routing.providers.openai import OpenAIAdapter
from routing.providers.responses.bridge import ChatBridge


_openai = OpenAIAdapter()
_azure = AzureAdapter()
# Every provider of gateway.config.providers' OpenAI-compatible table goes
# through the one OpenAI adapter: the loader has already given each deployment
# its base URL and key.
ADAPTERS: dict[str, ProviderAdapter] = {
    **{prefix: _openai for prefix in OPENAI_COMPATIBLE},
    "azure": _azure,
    "azure_text": _azure,
    "mock": MockAdapter(),
}
KNOWN_PROVIDERS = frozenset(ADAPTERS)
MOCK = ADAPTERS["mock"]


def serving_problem(deployment: Deployment) -> str | None:
    """Why this deployment cannot be served, or None."""
    adapter = ADAPTERS.get(deployment.provider)
    if adapter is None:
        return f"litellm_params.model: provider {deployment.provider!r} is not supported"
    return "; ".join(adapter.config_problems(deployment)) or None


# Providers whose API has /responses; every other one is served through the chat bridge.
SPEAKS_RESPONSES = frozenset({"openai", "azure"})
RESPONSES_ENDPOINTS = frozenset({"/v1/responses", "/responses"})
_bridges: dict[ProviderAdapter, ChatBridge] = {}  # one bridge per wrapped adapter


def adapter_for(provider: str) -> ProviderAdapter:
    return ADAPTERS[provider]


def adapter_for_call(call: ProxyCall, deployment: Deployment) -> ProviderAdapter:
    """The adapter that serves `call` on `deployment`: the mock for mock_response
    calls, the chat bridge for Responses calls the provider cannot take as they are."""
    adapter = MOCK if call.mock_response is not None else ADAPTERS[deployment.provider]
    if call.call_type is CallType.RESPONSES and (adapter is MOCK or not speaks_responses(deployment)):
        bridge = _bridges.get(adapter)
        if bridge is None:
            bridge = _bridges[adapter] = ChatBridge(adapter)
        return bridge
    return adapter


def speaks_responses(deployment: Deployment) -> bool:
    """`model_info.supported_endpoints` decides when set, as in LiteLLM (list
    "/v1/responses" to pass Responses calls to a compatible server untranslated,
    or leave it out to translate even for OpenAI); else the provider's default."""
    endpoints = deployment.entry.model_info.get("supported_endpoints")
    if isinstance(endpoints, list):
        return any(endpoint in RESPONSES_ENDPOINTS for endpoint in endpoints)
    return deployment.provider in SPEAKS_RESPONSES
