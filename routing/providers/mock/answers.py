"""OpenAI-shaped answers made up locally: chat, text completion, embeddings, chunks."""
from __future__ import annotations

import base64
import hashlib
import struct
import time
import uuid

EMBEDDING_DIMENSIONS = 16


def count_words(value: object) -> int:
    """A rough token count: whitespace-separated words in any nested text."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(count_words(item) for item in value)
    if isinstance(value, dict):
        return sum(count_words(item) for key, item in value.items() if key in ("content", "text"))
    return 0


def prompt_words(body: dict) -> int:
    return max(1, count_words(body.get("messages") or body.get("prompt") or body.get("input") or ""))


def usage(prompt_tokens: int, completion_tokens: int) -> dict:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    }


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def chat_completion(model: str, text: str, body: dict) -> dict:
    return {
        "id": new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": usage(prompt_words(body), count_words(text)),
    }


def text_completion(model: str, text: str, body: dict) -> dict:
    return {
        "id": new_id("cmpl"),
        "object": "text_completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": "stop"}],
        "usage": usage(prompt_words(body), count_words(text)),
    }


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [round((byte - 128) / 128, 4) for byte in digest[:EMBEDDING_DIMENSIONS]]


def embeddings(model: str, body: dict) -> dict:
    inputs = body.get("input")
    items = inputs if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else [inputs]
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(items):
        vector = _vector(str(item))
        encoded: object = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode() if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    tokens = prompt_words(body)
    return {"object": "list", "data": data, "model": model, "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}


def stream_pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [word + (" " if i < len(words) - 1 else "") for i, word in enumerate(words)]


def chat_chunks(model: str, text: str, body: dict) -> list[dict]:
    completion_id, created = new_id("chatcmpl"), int(time.time())

    def chunk(delta: dict, finish_reason: str | None = None) -> dict:
        return {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    chunks = [chunk({"role": "assistant", "content": ""})]
    chunks += [chunk({"content": piece}) for piece in stream_pieces(text)]
    chunks.append(chunk({}, "stop"))
    chunks.append({"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                   "choices": [], "usage": usage(prompt_words(body), count_words(text))})
    return chunks


def completion_chunks(model: str, text: str, body: dict) -> list[dict]:
    completion_id, created = new_id("cmpl"), int(time.time())

    def chunk(piece: str, finish_reason: str | None = None) -> dict:
        return {"id": completion_id, "object": "text_completion", "created": created, "model": model,
                "choices": [{"index": 0, "text": piece, "logprobs": None, "finish_reason": finish_reason}]}

    chunks = [chunk(piece) for piece in stream_pieces(text)]
    chunks.append(chunk("", "stop"))
    chunks.append({"id": completion_id, "object": "text_completion", "created": created, "model": model,
                   "choices": [], "usage": usage(prompt_words(body), count_words(text))})
    return chunks
