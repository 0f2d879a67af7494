"""Serve a Responses API call from a provider that only speaks chat completions:
the request goes out as a chat completion, the answer (or stream) comes back
as a Response object (or the Responses event stream)."""
from __future__ import annotations

import dataclasses

from gateway.types import CallType, ProviderReply, ProviderStream, ProxyCall
from routing.deployments import Deployment
from routing.providers.base import ProviderAdapter
from routing.providers.responses.events import events_from_chat
from routing.providers.responses.reply import new_response_id, response_from_chat
from routing.providers.responses.request import to_chat_body


class ChatBridge:
    """A ProviderAdapter for Responses calls, wrapping a chat-only adapter."""

    def __init__(self, inner: ProviderAdapter) -> None:
        self.inner = inner
        self.name = inner.name

    def config_problems(self, deployment: Deployment) -> list[str]:
        return self.inner.config_problems(deployment)

    async def send(self, call: ProxyCall, deployment: Deployment, timeout: float) -> ProviderReply:
        reply = await self.inner.send(as_chat_call(call), deployment, timeout)
        return ProviderReply(body=response_from_chat(reply.body, call.body, new_response_id()),
                             headers=reply.headers)

    async def open_stream(self, call: ProxyCall, deployment: Deployment, timeout: float,
                          first_chunk_timeout: float) -> ProviderStream:
        stream = await self.inner.open_stream(as_chat_call(call), deployment, timeout, first_chunk_timeout)
        return ProviderStream(chunks=events_from_chat(stream.chunks, call.body, new_response_id()),
                              headers=stream.headers)


def as_chat_call(call: ProxyCall) -> ProxyCall:
    """The same call as a chat completion; raises BadRequest naming a field
    that has no chat equivalent."""
    return dataclasses.replace(call, call_type=CallType.CHAT, body=to_chat_body(call.body))
