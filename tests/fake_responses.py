"""What the fake upstream answers on the Responses API (``POST /v1/responses``).

Request checks, Response objects and the typed stream events, with word counts
as token usage.  The answer follows the chat rule (``agent_reply``): a request
that offers a function tool and ends with a user message gets one function
call; one that ends with a function call's output gets "Tool result: <output>".

The fake stores nothing, so a ``previous_response_id`` is always unknown: a
client (such as the gateway) must send the whole conversation in ``input``.
"""
from __future__ import annotations

import time
from typing import Any

import orjson

from tests.fake_answers import (
    ToolCall, agent_reply, content_text, count_words, error_body, missing, word_pieces,
)


def request_error(body: dict[str, Any]) -> bytes | None:
    """The 400 body OpenAI would answer this request with, or None if it is fine.

    ``model`` is checked by the caller, as for every route.
    """
    if "messages" in body:
        return _unknown("messages")
    options = body.get("stream_options")
    if isinstance(options, dict) and "include_usage" in options:
        return _unknown("stream_options.include_usage")
    if not isinstance(body.get("input"), (str, list)):
        return missing("input")
    previous = body.get("previous_response_id")
    if previous is not None:
        return error_body(f"Previous response with id '{previous}' not found.",
                          param="previous_response_id", code="previous_response_not_found")
    return None


def answer(model: str, body: dict[str, Any], text: str, words: tuple[str, ...] | list[str],
           number: int) -> bytes:
    """The completed Response object for a request without ``stream``."""
    reply = _reply(body)
    if isinstance(reply, ToolCall):
        item, output_tokens = _call_item(reply, number), reply.tokens
    else:
        if isinstance(reply, str):
            text, words = reply, reply.split()
        item, output_tokens = _message_item(text, number), len(words)
    usage = _usage(_input_tokens(body), output_tokens)
    return orjson.dumps(_response(model, body, number, int(time.time()), "completed", [item], usage))


def stream_events(model: str, body: dict[str, Any], words: tuple[str, ...] | list[str],
                  number: int) -> list[tuple[bytes, bytes]]:
    """Every event of a streamed answer as (type, JSON payload), in order; no [DONE]."""
    created = int(time.time())
    started = _response(model, body, number, created, "in_progress", [], None)
    events: list[dict[str, Any]] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
    ]
    reply = _reply(body)
    if isinstance(reply, ToolCall):
        item, output_tokens = _call_item(reply, number), reply.tokens
        events += _call_events(item, reply)
    else:
        if isinstance(reply, str):
            words = reply.split()
        # The streamed text is its pieces joined, as for chat streams.
        item, output_tokens = _message_item(" ".join(words), number), len(words)
        events += _text_events(item, words)
    usage = _usage(_input_tokens(body), output_tokens)
    events.append({"type": "response.completed",
                   "response": _response(model, body, number, created, "completed", [item], usage)})
    return [(e["type"].encode(), orjson.dumps({**e, "sequence_number": n})) for n, e in enumerate(events)]


# --- the agent-like reply ------------------------------------------------------------

def _reply(body: dict[str, Any]) -> ToolCall | str | None:
    role, text = _last_turn(body["input"])
    return agent_reply(_first_function_name(body.get("tools")), role, text)


def _last_turn(items: str | list[Any]) -> tuple[str | None, str]:
    """The role ("user" or "tool") and text of the last input item, if it is either."""
    if isinstance(items, str):
        return "user", items
    last = items[-1] if items else None
    if not isinstance(last, dict):
        return None, ""
    if last.get("type") == "function_call_output":
        return "tool", content_text(last.get("output"))
    if last.get("role") == "user" and last.get("type", "message") == "message":
        return "user", content_text(last.get("content"))
    return None, ""


def _first_function_name(tools: Any) -> str | None:
    if not isinstance(tools, list):
        return None
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("name"), str):
            return tool["name"]
    return None


def _input_tokens(body: dict[str, Any]) -> int:
    items = body["input"]
    if isinstance(items, str):
        words = count_words(items)
    else:
        words = sum(count_words(content_text(i.get("content"))) + count_words(content_text(i.get("output")))
                    for i in items if isinstance(i, dict))
    return max(1, words + count_words(body.get("instructions")))


# --- bodies --------------------------------------------------------------------------

def _message_item(text: str, number: int) -> dict[str, Any]:
    return {"type": "message", "id": f"msg_fake_{number}", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}


def _call_item(call: ToolCall, number: int) -> dict[str, Any]:
    return {"type": "function_call", "id": f"fc_fake_{number}", "call_id": f"call_fake_{number}",
            "name": call.name, "arguments": call.arguments, "status": "completed"}


def _usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }


def _response(model: str, body: dict[str, Any], number: int, created: int, status: str,
              output: list[dict[str, Any]], usage: dict[str, Any] | None) -> dict[str, Any]:
    """A Response object; request settings are echoed with OpenAI's defaults."""
    metadata = body.get("metadata")
    return {
        "id": f"resp_fake_{number}",
        "object": "response",
        "created_at": created,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": usage,
        "user": body.get("user"),
        "metadata": metadata if isinstance(metadata, dict) else {},
    }


def _text_events(item: dict[str, Any], words: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    part = item["content"][0]
    where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    return [
        {"type": "response.output_item.added", "output_index": 0,
         "item": {**item, "status": "in_progress", "content": []}},
        {"type": "response.content_part.added", **where, "part": {**part, "text": ""}},
        *({"type": "response.output_text.delta", **where, "delta": piece, "logprobs": []}
          for piece in word_pieces(words)),
        {"type": "response.output_text.done", **where, "text": part["text"], "logprobs": []},
        {"type": "response.content_part.done", **where, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
    ]


def _call_events(item: dict[str, Any], call: ToolCall) -> list[dict[str, Any]]:
    where = {"item_id": item["id"], "output_index": 0}
    return [
        {"type": "response.output_item.added", "output_index": 0,
         "item": {**item, "arguments": "", "status": "in_progress"}},
        *({"type": "response.function_call_arguments.delta", **where, "delta": fragment}
          for fragment in call.fragments()),
        {"type": "response.function_call_arguments.done", **where, "arguments": call.arguments},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
    ]


def _unknown(name: str) -> bytes:
    return error_body(f"Unknown parameter: '{name}'.", param=name, code="unknown_parameter")
