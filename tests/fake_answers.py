"""What the fake upstream answers: OpenAI-shaped chat, completions and
embeddings bodies and stream frames, with word counts as token usage.

A chat request that offers tools gets an agent-like answer (``agent_reply``);
the Responses API answers in ``tests/fake_responses.py`` follow the same rule.
"""
from __future__ import annotations

import base64
import struct
import time
from dataclasses import dataclass
from typing import Any

import orjson

_EMBEDDING = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]
_EMBEDDING_B64 = base64.b64encode(struct.pack("<8f", *_EMBEDDING)).decode()
_ARGUMENT_FRAGMENT = 8  # characters per streamed piece of tool-call arguments


# --- words as tokens ---------------------------------------------------------------

def count_words(text: Any) -> int:
    return len(text.split()) if isinstance(text, str) else 0


def _content_words(content: Any) -> int:
    """Words in a chat message content: a string or a list of content parts."""
    if isinstance(content, str):
        return len(content.split())
    if isinstance(content, list):
        return sum(count_words(p.get("text")) for p in content if isinstance(p, dict))
    return 0


def content_text(content: Any) -> str:
    """The text of a message content or a tool output: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def word_pieces(words: tuple[str, ...] | list[str]) -> list[str]:
    """The text as streamed: one piece per word, each but the last with its space."""
    return [w + " " for w in words[:-1]] + list(words[-1:])


def _usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def _prompt_tokens_chat(messages: Any) -> int:
    if not isinstance(messages, list):
        return 1
    return max(1, sum(_content_words(m.get("content")) for m in messages if isinstance(m, dict)))


def _prompt_tokens_completion(prompt: Any) -> int:
    if isinstance(prompt, list):
        return max(1, sum(count_words(p) for p in prompt))
    return max(1, count_words(prompt))


# --- the agent-like answer -----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ToolCall:
    """The one function call the fake model makes instead of answering in text."""

    name: str
    arguments: str  # a JSON object, as text

    @property
    def tokens(self) -> int:
        return max(1, len(self.arguments.split()))

    def fragments(self) -> list[str]:
        """The arguments cut as a model streams them: always at least two pieces."""
        step = min(_ARGUMENT_FRAGMENT, max(1, len(self.arguments) // 2))
        return [self.arguments[i:i + step] for i in range(0, len(self.arguments), step)]


def agent_reply(tool_name: str | None, last_role: Any, last_text: str) -> ToolCall | str | None:
    """What a model that always uses its first tool says next.

    ``last_role`` is the role of the conversation's last message ("user", or
    "tool" for a tool's output).  None means: answer with the behaviour's text.
    """
    if last_role == "user" and tool_name is not None:
        return ToolCall(tool_name, orjson.dumps({"input": last_text}).decode())
    if last_role == "tool":
        return f"Tool result: {last_text}"
    return None


def _chat_reply(body: dict[str, Any]) -> ToolCall | str | None:
    """``agent_reply`` for a chat request that offers tools."""
    tools, messages = body["tools"], body["messages"]
    last = messages[-1] if isinstance(messages, list) and messages else None
    if not isinstance(last, dict):
        return None
    first = tools[0] if isinstance(tools, list) else None
    function = first.get("function") if isinstance(first, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    return agent_reply(name if isinstance(name, str) else None, last.get("role"),
                       content_text(last.get("content")))


def _chat_tool_call(call: ToolCall, number: int, arguments: str) -> dict[str, Any]:
    return {"id": f"call_fake_{number}", "type": "function",
            "function": {"name": call.name, "arguments": arguments}}


# --- whole answers ---------------------------------------------------------------------

def answer(op: str, model: str, body: dict[str, Any], text: str, words: tuple[str, ...] | list[str],
           number: int) -> bytes:
    """The JSON answer to a chat, completions or embeddings request."""
    created = int(time.time())
    if op == "chat":
        if body.get("tools"):
            return _chat_agent_answer(model, body, text, words, number)
        # The benchmarks' hot path, so not through _chat_completion (one call fewer).
        prompt = _prompt_tokens_chat(body["messages"])
        return orjson.dumps({
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": _usage(prompt, len(words)),
        })
    if op == "completions":
        prompt = _prompt_tokens_completion(body["prompt"])
        return orjson.dumps({
            "id": f"cmpl-fake-{number}",
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [{"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}],
            "usage": _usage(prompt, len(words)),
        })
    # embeddings
    inputs = body["input"]
    if isinstance(inputs, str) or (isinstance(inputs, list) and inputs and isinstance(inputs[0], int)):
        inputs = [inputs]  # a single string or a single token array
    elif not isinstance(inputs, list):
        inputs = [inputs]
    vector: Any = _EMBEDDING_B64 if body.get("encoding_format") == "base64" else _EMBEDDING
    prompt = sum(len(i) if isinstance(i, list) else count_words(i) for i in inputs)
    return orjson.dumps({
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": vector} for i in range(len(inputs))],
        "model": model,
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    })


def _chat_completion(model: str, body: dict[str, Any], message: dict[str, Any], finish: str,
                     completion: int, number: int) -> bytes:
    return orjson.dumps({
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(_prompt_tokens_chat(body["messages"]), completion),
    })


def _chat_agent_answer(model: str, body: dict[str, Any], text: str, words: tuple[str, ...] | list[str],
                       number: int) -> bytes:
    reply = _chat_reply(body)
    if isinstance(reply, ToolCall):
        message = {"role": "assistant", "content": None,
                   "tool_calls": [_chat_tool_call(reply, number, reply.arguments)]}
        return _chat_completion(model, body, message, "tool_calls", reply.tokens, number)
    if isinstance(reply, str):
        text, words = reply, reply.split()
    return _chat_completion(model, body, {"role": "assistant", "content": text}, "stop", len(words), number)


# --- stream frames -----------------------------------------------------------------------

def stream_frames(op: str, model: str, body: dict[str, Any], words: tuple[str, ...] | list[str],
                  number: int) -> list[bytes]:
    """JSON payloads of every SSE frame, ending with the literal [DONE] marker."""
    created = int(time.time())
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    frames: list[bytes] = []

    if op == "chat":
        prompt = _prompt_tokens_chat(body["messages"])
        base = {"id": f"chatcmpl-fake-{number}", "object": "chat.completion.chunk",
                "created": created, "model": model}
        if include_usage:
            base["usage"] = None  # OpenAI sends usage: null on every chunk but the last

        def chunk(delta: dict[str, Any], finish: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return orjson.dumps({**base, "choices": [choice]})

        reply = _chat_reply(body) if body.get("tools") else None
        if isinstance(reply, ToolCall):
            opening = {"index": 0, **_chat_tool_call(reply, number, "")}
            frames.append(chunk({"role": "assistant", "content": None, "tool_calls": [opening]}, None))
            frames.extend(chunk({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}, None)
                          for f in reply.fragments())
            frames.append(chunk({}, "tool_calls"))
            completion = reply.tokens
        else:
            if reply is not None:
                words = reply.split()
            frames.append(chunk({"role": "assistant", "content": ""}, None))
            frames.extend(chunk({"content": p}, None) for p in word_pieces(words))
            frames.append(chunk({}, "stop"))
            completion = len(words)
    else:
        prompt = _prompt_tokens_completion(body["prompt"])
        base = {"id": f"cmpl-fake-{number}", "object": "text_completion",
                "created": created, "model": model}
        if include_usage:
            base["usage"] = None

        def chunk(text: str, finish: str | None) -> bytes:  # type: ignore[misc]
            choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
            return orjson.dumps({**base, "choices": [choice]})

        frames.extend(chunk(p, None) for p in word_pieces(words))
        frames.append(chunk("", "stop"))
        completion = len(words)

    if include_usage:
        frames.append(orjson.dumps({**base, "choices": [], "usage": _usage(prompt, completion)}))
    frames.append(b"[DONE]")
    return frames


# --- errors --------------------------------------------------------------------------------

# Error "type"/"code" pairs roughly as OpenAI reports them, for the status behaviour.
ERROR_KINDS = {
    400: ("invalid_request_error", None, "Bad request (fake upstream)."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided"),
    403: ("invalid_request_error", None, "Forbidden (fake upstream)."),
    404: ("invalid_request_error", "model_not_found", "The model does not exist (fake upstream)."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached (fake upstream)."),
    500: ("server_error", None, "The server had an error while processing your request."),
    502: ("server_error", None, "Bad gateway."),
    503: ("server_error", None, "The engine is currently overloaded, please try again later."),
    504: ("server_error", None, "Gateway timeout."),
}


def error_body(message: str, type_: str = "invalid_request_error",
               param: str | None = None, code: str | None = None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def status_error_body(status: int, message: str | None) -> bytes:
    """The error body of the "status" behaviour: OpenAI's type and code for that status."""
    type_, code, default_message = ERROR_KINDS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error",
                 None, f"Fake upstream error {status}."))
    return error_body(message or default_message, type_, None, code)


def missing(name: str) -> bytes:
    return error_body(f"Missing required parameter: '{name}'.", param=name,
                      code="missing_required_parameter")
