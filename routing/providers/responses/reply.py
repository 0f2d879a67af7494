"""Response objects, shaped as OpenAI's Responses API returns them, built from
chat completion answers; also the output items the event stream reuses."""
from __future__ import annotations

import time
import uuid
from typing import Any

# Chat finish reasons that end a Response early, with the reason OpenAI gives.
INCOMPLETE_REASON_BY_FINISH_REASON = {"length": "max_output_tokens", "content_filter": "content_filter"}


def new_response_id() -> str:
    return "resp_" + (uuid.uuid4().hex + uuid.uuid4().hex)[:48]


def new_item_id(prefix: str) -> str:
    return f"{prefix}_" + (uuid.uuid4().hex + uuid.uuid4().hex)[:48]


def incomplete_reason(finish_reason: str | None) -> str | None:
    """Why a Response with this chat finish reason is incomplete; None when it is complete."""
    return INCOMPLETE_REASON_BY_FINISH_REASON.get(finish_reason)


def usage_from_chat(usage: dict | None) -> dict | None:
    if not usage:
        return None
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    input_tokens = usage.get("prompt_tokens") or 0
    output_tokens = usage.get("completion_tokens") or 0
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": prompt_details.get("cached_tokens") or 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": completion_details.get("reasoning_tokens") or 0},
        "total_tokens": usage.get("total_tokens") or input_tokens + output_tokens,
    }


def message_item(item_id: str, content: list[dict], status: str) -> dict:
    return {"type": "message", "id": item_id, "status": status, "role": "assistant", "content": content}


def output_text_part(text: str) -> dict:
    return {"type": "output_text", "text": text, "annotations": []}


def refusal_part(refusal: str) -> dict:
    return {"type": "refusal", "refusal": refusal}


def function_call_item(item_id: str, call_id: str, name: str, arguments: str, status: str) -> dict:
    return {"type": "function_call", "id": item_id, "call_id": call_id, "name": name, "arguments": arguments,
            "status": status}


def response_object(request: dict, response_id: str, created_at: int, model: str, status: str,
                    output: list, usage: dict | None, incomplete_reason: str | None = None) -> dict:
    """A full Response object; settings the request left out show OpenAI's defaults."""
    reasoning = request.get("reasoning") or {}
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": None,
        "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "model": model,
        "output": output,
        "parallel_tool_calls": _or_default(request.get("parallel_tool_calls"), True),
        "previous_response_id": request.get("previous_response_id"),
        "reasoning": {"effort": reasoning.get("effort"), "summary": None},
        "store": _or_default(request.get("store"), True),
        "temperature": _or_default(request.get("temperature"), 1.0),
        "text": {"format": {"type": "text"}, **{key: value for key, value in (request.get("text") or {}).items()
                                                if value is not None}},
        "tool_choice": _or_default(request.get("tool_choice"), "auto"),
        "tools": request.get("tools") or [],
        "top_p": _or_default(request.get("top_p"), 1.0),
        "truncation": "disabled",
        "usage": usage,
        "user": request.get("user"),
        "metadata": request.get("metadata") or {},
    }


def response_from_chat(completion: dict, request: dict, response_id: str) -> dict:
    """The Response for a non-streamed chat.completion: its text (or refusal)
    as one message item, then one function_call item per tool call."""
    choices = completion.get("choices") or [{}]
    choice = choices[0]
    message = choice.get("message") or {}
    reason = incomplete_reason(choice.get("finish_reason"))
    item_status = "incomplete" if reason else "completed"

    output = []
    content = []
    if message.get("content"):
        content.append(output_text_part(message["content"]))
    if message.get("refusal"):
        content.append(refusal_part(message["refusal"]))
    tool_calls = message.get("tool_calls") or []
    # An empty answer is still one (empty) message, as OpenAI returns it.
    if content or not tool_calls:
        output.append(message_item(new_item_id("msg"), content or [output_text_part("")], item_status))
    for tool_call in tool_calls:
        function = tool_call.get("function") or {}
        output.append(function_call_item(new_item_id("fc"), tool_call.get("id") or new_item_id("call"),
                                         function.get("name") or "", function.get("arguments") or "", item_status))
    return response_object(request, response_id, completion.get("created") or int(time.time()),
                           completion.get("model") or request.get("model") or "",
                           "incomplete" if reason else "completed", output,
                           usage_from_chat(completion.get("usage")), reason)


def _or_default(value: Any, default: Any) -> Any:
    return default if value is None else value
