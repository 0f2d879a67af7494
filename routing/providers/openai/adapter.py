"""OpenAI, and every provider or server that speaks its API at a base URL
(Groq, OpenRouter, Mistral, vLLM, Ollama, LM Studio...)."""
from __future__ import annotations

import asyncio

import httpx
import orjson

from gateway.config.providers import OPENAI_COMPATIBLE
from gateway.types import CallType, ProviderReply, ProviderStream, ProxyCall
from routing.deployments import Deployment
from routing.providers import base
from routing.providers.responses.defaults import responses_defaults


class OpenAIAdapter:
    """Every provider that speaks OpenAI's API: the loader gave each deployment
    its base URL (the provider's default, a variable or api_base) and key."""

    name = "openai"

    def config_problems(self, deployment: Deployment) -> list[str]:
        if not deployment.entry.api_base:
            names = " or ".join(OPENAI_COMPATIBLE[deployment.provider].base_env) \
                if deployment.provider in OPENAI_COMPATIBLE else ""
            return [f"litellm_params.api_base: is required for {deployment.provider}/ deployments"
                    + (f" (or set {names})" if names else "")]
        return []

    def url(self, call: ProxyCall, deployment: Deployment) -> str:
        api_base = call.client_credentials.get("api_base") or deployment.entry.api_base
        return f"{str(api_base).rstrip('/')}/{call.call_type.value}"

    def headers(self, call: ProxyCall, deployment: Deployment) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if not base.is_client_destination(call):
            headers.update(deployment.entry.headers)
        api_key = base.api_key_for(call, deployment)
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        headers.update(call.client_credentials.get("extra_headers") or {})
        return headers

    def payload(self, call: ProxyCall, deployment: Deployment) -> bytes:
        defaults = {} if base.is_client_destination(call) else deployment.entry.request_defaults
        if call.call_type is CallType.RESPONSES:
            # Responses streams report usage in their final event: nothing to ask for.
            return orjson.dumps({**responses_defaults(defaults), **call.body, "model": deployment.entry.provider_model})
        body = {**defaults, **call.body, "model": deployment.entry.provider_model}
        if call.is_stream:
            # Always ask for the usage chunk so the gateway can bill streams;
            # the stream renderer hides it from clients that did not ask.
            body["stream_options"] = {**(body.get("stream_options") or {}), "include_usage": True}
        return orjson.dumps(body)

    def _request(self, call: ProxyCall, deployment: Deployment, timeout: float) -> httpx.Request:
        return base.post_request(self.url(call, deployment), self.payload(call, deployment),
                                 self.headers(call, deployment), timeout)

    async def send(self, call: ProxyCall, deployment: Deployment, timeout: float) -> ProviderReply:
        client = base.http_client()
        request = self._request(call, deployment, timeout)
        try:
            async with asyncio.timeout(timeout):
                response = await client.send(request)
                try:
                    await response.aread()
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TransportError) as exc:
            raise base.transport_error(deployment, exc, timeout) from None
        if response.status_code >= 400:
            raise base.upstream_error(deployment, response.status_code, response.content,
                                      response.headers.get("retry-after"))
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise base.upstream_error(deployment, 502, b"the provider answered with invalid JSON", None) from None
        return ProviderReply(body=body, headers=base.passthrough_headers(response.headers))

    async def open_stream(self, call: ProxyCall, deployment: Deployment, timeout: float,
                          first_chunk_timeout: float) -> ProviderStream:
        client = base.http_client()
        request = self._request(call, deployment, timeout)
        try:
            async with asyncio.timeout(first_chunk_timeout):
                response = await client.send(request)
        except (TimeoutError, httpx.TransportError) as exc:
            raise base.transport_error(deployment, exc, first_chunk_timeout) from None
        if response.status_code >= 400:
            try:
                body = await response.aread()
            finally:
                await response.aclose()
            raise base.upstream_error(deployment, response.status_code, body, response.headers.get("retry-after"))
        return ProviderStream(chunks=base.sse_chunks(response), headers=base.passthrough_headers(response.headers))
