"""What the fake upstream answers: OpenAI-shaped chat, completions and
embeddings bodies and stream frames, with word counts as token usage."""
from __future__ import annotations

import base64
import struct
import time
from typing import Any

import orjson

_EMBEDDING = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]
_EMBEDDING_B64 = base64.b64encode(struct.pack("<8f", *_EMBEDDING)).decode()


def _count_words(text: Any) -> int:
    return len(text.split()) if isinstance(text, str) else 0


def _content_words(content: Any) -> int:
    """Words in a chat message content: a string or a list of content parts."""
    if isinstance(content, str):
        return len(content.split())
    if isinstance(content, list):
        return sum(_count_words(p.get("text")) for p in content if isinstance(p, dict))
    return 0


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
        return max(1, sum(_count_words(p) for p in prompt))
    return max(1, _count_words(prompt))


def answer(op: str, model: str, body: dict[str, Any], text: str, words: tuple[str, ...] | list[str],
           number: int) -> bytes:
    """The JSON answer to a chat, completions or embeddings request."""
    created = int(time.time())
    if op == "chat":
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
    prompt = sum(len(i) if isinstance(i, list) else _count_words(i) for i in inputs)
    return orjson.dumps({
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": vector} for i in range(len(inputs))],
        "model": model,
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    })


def stream_frames(op: str, model: str, body: dict[str, Any], words: tuple[str, ...] | list[str],
                  number: int) -> list[bytes]:
    """JSON payloads of every SSE frame, ending with the literal [DONE] marker."""
    created = int(time.time())
    pieces = [w + " " for w in words[:-1]] + list(words[-1:])
    options = body.get("stream_options")
    include_usage = isinstance(options, dict) and options.get("include_usage") is True
    frames: list[bytes] = []

    if op == "chat":
        prompt = _prompt_tokens_chat(body["messages"])
        base = {"id": f"chatcmpl-fake-{number}", "object": "chat.completion.chunk",
                "created": created, "model": model}
        if include_usage:
            base["usage"] = None  # OpenAI sends usage: null on every chunk but the last

        def chunk(delta: dict[str, str], finish: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return orjson.dumps({**base, "choices": [choice]})

        frames.append(chunk({"role": "assistant", "content": ""}, None))
        frames.extend(chunk({"content": p}, None) for p in pieces)
        frames.append(chunk({}, "stop"))
    else:
        prompt = _prompt_tokens_completion(body["prompt"])
        base = {"id": f"cmpl-fake-{number}", "object": "text_completion",
                "created": created, "model": model}
        if include_usage:
            base["usage"] = None

        def chunk(text: str, finish: str | None) -> bytes:  # type: ignore[misc]
            choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": finish}
            return orjson.dumps({**base, "choices": [choice]})

        frames.extend(chunk(p, None) for p in pieces)
        frames.append(chunk("", "stop"))

    if include_usage:
        frames.append(orjson.dumps({**base, "choices": [], "usage": _usage(prompt, len(words))}))
    frames.append(b"[DONE]")
    return frames


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


def missing(name: str) -> bytes:
    return error_body(f"Missing required parameter: '{name}'.", param=name,
                       code="missing_required_parameter")
