"""`mock/` deployments and the per-request `mock_response` field: answers made
locally, with no network, for demos, the default config and tests.

`mock/echo` repeats the last user message; any other mock model answers with
the deployment's `mock_response`, else a fixed sentence. A `mock_response` of
"litellm.RateLimitError" (or another litellm.<Error> name) fails as that error.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from gateway.errors import ProviderError
from gateway.types import CallType, ProviderReply, ProviderStream, ProxyCall
from routing.deployments import Deployment
from routing.providers.mock import answers

DEFAULT_TEXT = "Hello! This is a mock answer from the gateway."
MOCK_ERRORS = {
    "litellm.RateLimitError": 429,
    "litellm.InternalServerError": 500,
    "litellm.ServiceUnavailableError": 503,
    "litellm.Timeout": 408,
    "litellm.BadRequestError": 400,
    "litellm.ContextWindowExceededError": 400,
    "litellm.ContentPolicyViolationError": 400,
    "litellm.AuthenticationError": 401,
}


class MockAdapter:
    name = "mock"

    def config_problems(self, deployment: Deployment) -> list[str]:
        return []

    def answer_text(self, call: ProxyCall, deployment: Deployment) -> str:
        if call.mock_response is not None:
            return call.mock_response
        if deployment.entry.mock_response:
            return deployment.entry.mock_response
        if deployment.entry.provider_model == "echo" and call.call_type is CallType.CHAT:
            return _last_user_text(call.body.get("messages") or []) or DEFAULT_TEXT
        return DEFAULT_TEXT

    def _fail_if_asked(self, text: str, deployment: Deployment) -> None:
        status = MOCK_ERRORS.get(text)
        if status is not None:
            raise ProviderError(f"{text}: mock error requested with mock_response", status=status,
                                deployment_id=deployment.id, retry_after="1" if status == 429 else None)

    async def send(self, call: ProxyCall, deployment: Deployment, timeout: float) -> ProviderReply:
        text = self.answer_text(call, deployment)
        self._fail_if_asked(text, deployment)
        model = deployment.entry.provider_model
        if call.call_type is CallType.EMBEDDING:
            return ProviderReply(body=answers.embeddings(model, call.body))
        if call.call_type is CallType.COMPLETION:
            return ProviderReply(body=answers.text_completion(model, text, call.body))
        return ProviderReply(body=answers.chat_completion(model, text, call.body))

    async def open_stream(self, call: ProxyCall, deployment: Deployment, timeout: float,
                          first_chunk_timeout: float) -> ProviderStream:
        text = self.answer_text(call, deployment)
        self._fail_if_asked(text, deployment)
        model = deployment.entry.provider_model
        build = answers.completion_chunks if call.call_type is CallType.COMPLETION else answers.chat_chunks
        return ProviderStream(chunks=_paced(build(model, text, call.body)))


async def _paced(chunks: list[dict]) -> AsyncIterator[dict]:
    for chunk in chunks:
        yield chunk
        await asyncio.sleep(0)  # let each chunk reach the client on its own, like a real stream


def _last_user_text(messages: list) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(part.get("text", "") for part in content if isinstance(part, dict)).strip()
    return ""
