"""The provider adapter interface, the shared HTTP client, and the translation
of upstream failures into ProviderError at the edge."""
from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import Protocol

import aiohttp
import httpx
import orjson
from httpx_aiohttp import AiohttpTransport

from gateway.errors import ProviderError, UpstreamTimeout
from gateway.types import ProviderReply, ProviderStream, ProxyCall
from routing.deployments import Deployment

MAX_UPSTREAM_CONNECTIONS = 1000
# Provider headers worth handing back to the client as they are.
PASSTHROUGH_HEADERS = ("x-ratelimit-limit-requests", "x-ratelimit-limit-tokens",
                       "x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens")

_EXCEPTION_NAMES = {400: "BadRequestError", 401: "AuthenticationError", 403: "PermissionDeniedError",
                    404: "NotFoundError", 408: "Timeout", 422: "UnprocessableEntityError", 429: "RateLimitError",
                    503: "ServiceUnavailableError"}


class ProviderAdapter(Protocol):
    """What every provider offers the pipeline."""

    name: str

    def config_problems(self, deployment: Deployment) -> list[str]:
        """Problems with a deployment's settings, found at start-up."""
        ...

    async def send(self, call: ProxyCall, deployment: Deployment, timeout: float) -> ProviderReply:
        ...

    async def open_stream(self, call: ProxyCall, deployment: Deployment, timeout: float,
                          first_chunk_timeout: float) -> ProviderStream:
        """Return once the upstream accepted the stream; raise ProviderError if it refused."""
        ...


class UpstreamClient:
    """The process's one pooled httpx client on an aiohttp transport (plain
    httpx loses two thirds of its throughput under concurrency here: see
    ../shared/PERFORMANCE.md).

    Provider calls go straight to the client's transport: the client layer
    would only add cookie jars, auth flows and redirect handling, which a
    provider call never uses, at about 100 µs a request.
    """

    def __init__(self) -> None:
        limits = httpx.Limits(max_connections=MAX_UPSTREAM_CONNECTIONS,
                              max_keepalive_connections=MAX_UPSTREAM_CONNECTIONS)
        # trust_env off: an HTTP_PROXY in the environment must not reroute provider calls.
        self.transport = AiohttpTransport(limits=limits, trust_env=False)
        self.client = httpx.AsyncClient(transport=self.transport, trust_env=False, follow_redirects=False)

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send and return once the status line and headers are in; the body is
        read (or streamed) by the caller, who must close the response."""
        return await self.transport.handle_async_request(request)


_client: UpstreamClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None


def http_client() -> UpstreamClient:
    """Bound to the running loop; a new loop (tests) gets a new client."""
    global _client, _client_loop
    loop = asyncio.get_running_loop()
    if _client is None or _client_loop is not loop:
        _client = UpstreamClient()
        _client_loop = loop
    return _client


@functools.lru_cache(maxsize=1024)
def upstream_url(url: str) -> httpx.URL:
    """Parsed once per distinct URL: httpx's URL parsing is a visible cost per call."""
    return httpx.URL(url)


def is_client_destination(call: ProxyCall) -> bool:
    """Does the call go to a server the client named (client-side api_base)?
    Then only the client's own credentials go with it: never the deployment's
    key, headers (organization included) or extra body."""
    return bool(call.client_credentials.get("api_base"))


def api_key_for(call: ProxyCall, deployment: Deployment) -> str | None:
    """The client's own key when it sent one, else the deployment's, unless the
    client named the server (then its own key or none)."""
    client_key = call.client_credentials.get("api_key")
    if client_key or is_client_destination(call):
        return client_key or None
    return deployment.entry.api_key


def post_request(url: str, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Request:
    return httpx.Request("POST", upstream_url(url), content=content, headers=headers,
                         extensions={"timeout": httpx.Timeout(timeout).as_dict()})


def provider_label(provider: str) -> str:
    return {"openai": "OpenAI", "azure": "Azure", "mock": "Mock"}.get(provider, provider.capitalize())


def upstream_error(deployment: Deployment, status: int, body: bytes, retry_after: str | None) -> ProviderError:
    """The provider's own message, prefixed as LiteLLM does; 5xx also name the deployment."""
    message = _provider_message(body)
    name = _EXCEPTION_NAMES.get(status, "InternalServerError" if status >= 500 else "APIError")
    text = f"litellm.{name}: {provider_label(deployment.provider)}Exception - {message}"
    if status >= 500:
        text += f" (deployment {deployment.id} of model group {deployment.model_name})"
    # The error type follows our status, as LiteLLM's does, not the provider's wording.
    return ProviderError(text, status=status, deployment_id=deployment.id, retry_after=retry_after)


def _provider_message(body: bytes) -> str:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:500].decode("utf-8", "replace").strip() or "no error message"
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    if isinstance(error, str):
        return error
    return str(parsed)[:500]


def timeout_error(deployment: Deployment, seconds: float) -> UpstreamTimeout:
    return UpstreamTimeout(f"litellm.Timeout: {provider_label(deployment.provider)}Exception - no answer from "
                           f"deployment {deployment.id} of model group {deployment.model_name} within {seconds:g}s",
                           deployment_id=deployment.id)


def is_timeout(exc: Exception) -> bool:
    """httpx-aiohttp reports a refused connection as ConnectTimeout; look at the cause."""
    if isinstance(exc, TimeoutError):
        return True
    if isinstance(exc.__cause__, aiohttp.ClientConnectorError):
        return False
    return isinstance(exc, httpx.TimeoutException)


def transport_error(deployment: Deployment, exc: Exception, seconds: float) -> ProviderError:
    return timeout_error(deployment, seconds) if is_timeout(exc) else connection_error(deployment, exc)


def connection_error(deployment: Deployment, exc: Exception) -> ProviderError:
    return ProviderError(f"litellm.APIConnectionError: {provider_label(deployment.provider)}Exception - could not "
                         f"reach deployment {deployment.id} of model group {deployment.model_name}: "
                         f"{type(exc).__name__}", status=502, deployment_id=deployment.id)


def passthrough_headers(headers: httpx.Headers) -> dict[str, str]:
    return {name: headers[name] for name in PASSTHROUGH_HEADERS if name in headers}


async def sse_chunks(response: httpx.Response) -> AsyncIterator[dict]:
    """Parse an OpenAI-style event stream into chunk objects; closing this
    iterator closes the upstream response (and so cancels the upstream call)."""
    try:
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # blank separators, comments, event: lines
            data = line[5:].strip()
            if data == "[DONE]":
                break
            if data:
                yield orjson.loads(data)
    finally:
        await response.aclose()
