"""Azure OpenAI: `{api_base}/openai/deployments/{deployment}/...?api-version=V`, `api-key` header.

The deployment is the text after `azure/` in `litellm_params.model`; the
version comes from the deployment's `api_version`, else AZURE_API_VERSION,
never from the client (whose `api-version` query parameter is ignored).
"""
from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from gateway.types import ProxyCall
from routing.deployments import Deployment
from routing.providers.openai.adapter import OpenAIAdapter


class AzureAdapter(OpenAIAdapter):
    name = "azure"
    default_api_base = None

    def config_problems(self, deployment: Deployment) -> list[str]:
        if not deployment.entry.api_base:
            return ["litellm_params.api_base: is required for azure/ deployments "
                    "(https://<resource>.openai.azure.com)"]
        return []

    def url(self, call: ProxyCall, deployment: Deployment) -> str:
        api_base = str(call.client_credentials.get("api_base") or deployment.entry.api_base).rstrip("/")
        version = deployment.entry.api_version or settings.AZURE_API_VERSION
        name = quote(deployment.entry.provider_model, safe="")
        return f"{api_base}/openai/deployments/{name}/{call.call_type.value}?api-version={quote(version, safe='')}"

    def headers(self, call: ProxyCall, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json", **deployment.entry.headers}
        api_key = call.client_credentials.get("api_key") or deployment.entry.api_key
        if api_key:
            headers["api-key"] = api_key
        headers.update(call.client_credentials.get("extra_headers") or {})
        return headers
