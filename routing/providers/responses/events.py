"""A stream of chat.completion.chunk dicts as the Responses API's typed
stream events (response.created ... response.completed), in OpenAI's order.

Items are opened as their first delta arrives and all closed at the end of the
upstream stream, in output order.
"""
from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from routing.providers.responses.reply import (
    function_call_item, incomplete_reason, message_item, new_item_id, output_text_part, refusal_part,
    response_object, usage_from_chat,
)


@dataclass(slots=True)
class _Part:
    kind: str  # "output_text" or "refusal"
    text: str = ""

    def as_dict(self) -> dict:
        return output_text_part(self.text) if self.kind == "output_text" else refusal_part(self.text)


@dataclass(slots=True)
class _Message:
    id: str
    output_index: int
    parts: list[_Part] = field(default_factory=list)


@dataclass(slots=True)
class _Call:
    id: str
    output_index: int
    call_id: str
    name: str
    arguments: str = ""


async def events_from_chat(chunks: AsyncIterator[dict], request: dict, response_id: str) -> AsyncIterator[dict]:
    """The Responses events for an upstream chat chunk stream.

    The first upstream chunk is pulled before `response.created` is yielded:
    the caller waits for the first event to decide whether the stream started
    well, so an upstream that stalls must stall that event too. `chunks` is
    closed however this generator ends, including when the consumer closes it.
    """
    try:
        first = await anext(chunks, None)
        translator = _Translator(request, response_id, first or {})
        for event in translator.opening():
            yield event
        if first is not None:
            for event in translator.take(first):
                yield event
            async for chunk in chunks:
                for event in translator.take(chunk):
                    yield event
        for event in translator.closing():
            yield event
    finally:
        close = getattr(chunks, "aclose", None)
        if close is not None:
            await close()


class _Translator:
    """The state of one stream: its items so far, finish reason and usage."""

    def __init__(self, request: dict, response_id: str, first_chunk: dict) -> None:
        self.request = request
        self.response_id = response_id
        self.model = first_chunk.get("model") or request.get("model") or ""
        self.created_at = first_chunk.get("created") or int(time.time())
        self.sequence_number = 0
        self.items: list[_Message | _Call] = []
        self.message: _Message | None = None
        self.calls: dict[Any, _Call] = {}
        self.last_call_key: Any = None
        self.finish_reason: str | None = None
        self.usage: dict | None = None

    def event(self, event_type: str, **fields: Any) -> dict:
        event = {"type": event_type, "sequence_number": self.sequence_number, **fields}
        self.sequence_number += 1
        return event

    def opening(self) -> Iterator[dict]:
        response = self.response("in_progress", [], None)
        yield self.event("response.created", response=response)
        yield self.event("response.in_progress", response=response)

    def take(self, chunk: dict) -> Iterator[dict]:
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            # A Response has one answer; other choices (n > 1) have nowhere to go.
            if choice.get("index", 0) != 0:
                continue
            delta = choice.get("delta") or {}
            # Reasoning deltas (vLLM's reasoning_content) are dropped, as in
            # the non-streamed translation: no reasoning items are produced.
            if delta.get("content"):
                yield from self.text_delta("output_text", delta["content"])
            if delta.get("refusal"):
                yield from self.text_delta("refusal", delta["refusal"])
            for position, fragment in enumerate(delta.get("tool_calls") or []):
                yield from self.tool_call_delta(position, fragment)
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]

    def text_delta(self, kind: str, delta: str) -> Iterator[dict]:
        message, content_index = yield from self.open_part(kind)
        message.parts[content_index].text += delta
        if kind == "output_text":
            yield self.event("response.output_text.delta", item_id=message.id, output_index=message.output_index,
                             content_index=content_index, delta=delta, logprobs=[])
        else:
            yield self.event("response.refusal.delta", item_id=message.id, output_index=message.output_index,
                             content_index=content_index, delta=delta)

    def open_part(self, kind: str) -> Iterator[dict]:
        """Opens the message item and its `kind` part if not open yet; returns both."""
        if self.message is None:
            self.message = _Message(new_item_id("msg"), len(self.items))
            self.items.append(self.message)
            yield self.event("response.output_item.added", output_index=self.message.output_index,
                             item=message_item(self.message.id, [], "in_progress"))
        message = self.message
        for content_index, part in enumerate(message.parts):
            if part.kind == kind:
                return message, content_index
        message.parts.append(_Part(kind))
        content_index = len(message.parts) - 1
        yield self.event("response.content_part.added", item_id=message.id, output_index=message.output_index,
                         content_index=content_index, part=message.parts[content_index].as_dict())
        return message, content_index

    def tool_call_delta(self, position: int, fragment: dict) -> Iterator[dict]:
        key = self.call_key(position, fragment)
        function = fragment.get("function") or {}
        call = self.calls.get(key)
        if call is None:
            call = _Call(new_item_id("fc"), len(self.items), fragment.get("id") or new_item_id("call"),
                         function.get("name") or "")
            self.calls[key] = call
            self.items.append(call)
            yield self.event("response.output_item.added", output_index=call.output_index,
                             item=function_call_item(call.id, call.call_id, call.name, "", "in_progress"))
        elif not call.name and function.get("name"):
            call.name = function["name"]
        self.last_call_key = key
        arguments = function.get("arguments")
        if arguments is not None and not isinstance(arguments, str):
            # Some servers (older Ollama) send arguments as an object, not JSON text.
            arguments = json.dumps(arguments)
        if arguments:
            call.arguments += arguments
            yield self.event("response.function_call_arguments.delta", item_id=call.id,
                             output_index=call.output_index, delta=arguments)

    def call_key(self, position: int, fragment: dict) -> Any:
        """Which tool call a fragment continues. OpenAI numbers them with `index`;
        servers that leave it out send each call whole, under its own id."""
        if fragment.get("index") is not None:
            return fragment["index"]
        if fragment.get("id"):
            return fragment["id"]
        return self.last_call_key if self.last_call_key is not None else position

    def closing(self) -> Iterator[dict]:
        if not self.items:
            # An empty answer is still one (empty) message, as OpenAI streams it.
            yield from self.open_part("output_text")
        reason = incomplete_reason(self.finish_reason)
        status = "incomplete" if reason else "completed"
        output = []
        for item in self.items:
            if isinstance(item, _Message):
                yield from self.message_done_events(item)
                done = message_item(item.id, [part.as_dict() for part in item.parts], status)
            else:
                yield self.event("response.function_call_arguments.done", item_id=item.id,
                                 output_index=item.output_index, arguments=item.arguments, name=item.name)
                done = function_call_item(item.id, item.call_id, item.name, item.arguments, status)
            yield self.event("response.output_item.done", output_index=item.output_index, item=done)
            output.append(done)
        response = self.response(status, output, usage_from_chat(self.usage), reason)
        yield self.event("response.incomplete" if reason else "response.completed", response=response)

    def message_done_events(self, message: _Message) -> Iterator[dict]:
        for content_index, part in enumerate(message.parts):
            where = {"item_id": message.id, "output_index": message.output_index, "content_index": content_index}
            if part.kind == "output_text":
                yield self.event("response.output_text.done", **where, text=part.text, logprobs=[])
            else:
                yield self.event("response.refusal.done", **where, refusal=part.text)
            yield self.event("response.content_part.done", **where, part=part.as_dict())

    def response(self, status: str, output: list, usage: dict | None, reason: str | None = None) -> dict:
        return response_object(self.request, self.response_id, self.created_at, self.model, status, output,
                               usage, reason)
