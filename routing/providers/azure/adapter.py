"""Azure OpenAI: `{api_base}/openai/deployments/{deployment}/...?api-version=V`, `api-key` header.

The deployment is the text after `azure/` in `litellm_params.model`; the
version comes from the deployment's `api_version`, else AZURE_API_VERSION,
never from the client (whose `api-version` query parameter is ignored).

Responses API calls name the deployment in the body's `model` instead: they go
to `{api_base}/openai/responses?api-version=V` when the deployment's version
has the Responses API (2025-03-01-preview or later, or "preview"), else to
Azure's version-less v1 route `{api_base}/openai/v1/responses`.
"""
from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from gateway.types import CallType, ProxyCall
from routing.deployments import Deployment
from routing.providers import base
from routing.providers.openai.adapter import OpenAIAdapter


class AzureAdapter(OpenAIAdapter):
    name = "azure"

    def config_problems(self, deployment: Deployment) -> list[str]:
        if not deployment.entry.api_base:
            return ["litellm_params.api_base: is required for azure/ deployments "
                    "(https://<resource>.openai.azure.com), or set AZURE_API_BASE"]
        return []

    def url(self, call: ProxyCall, deployment: Deployment) -> str:
        api_base = str(call.client_credentials.get("api_base") or deployment.entry.api_base).rstrip("/")
        version = deployment.entry.api_version or settings.AZURE_API_VERSION
        if call.call_type is CallType.RESPONSES:
            if has_responses_api(version):
                return f"{api_base}/openai/responses?api-version={quote(version, safe='')}"
            return f"{api_base}/openai/v1/responses"
        name = quote(deployment.entry.provider_model, safe="")
        return f"{api_base}/openai/deployments/{name}/{call.call_type.value}?api-version={quote(version, safe='')}"

    def headers(self, call: ProxyCall, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if not base.is_client_destination(call):
            headers.update(deployment.entry.headers)
        api_key = base.api_key_for(call, deployment)
        if api_key:
            headers["api-key"] = api_key
        headers.update(call.client_credentials.get("extra_headers") or {})
        return headers


FIRST_RESPONSES_VERSION = "2025-03-01-preview"


def has_responses_api(version: str) -> bool:
    """Dated versions compare as text (YYYY-MM-DD[-preview])."""
    if version in ("preview", "latest"):
        return True
    return version[:10] >= FIRST_RESPONSES_VERSION[:10] and version[:4].isdigit()
