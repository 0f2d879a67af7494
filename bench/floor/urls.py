"""One route, the one every benchmark target answers: POST /v1/chat/completions."""
from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import path

TEXT = "Hello from the fake upstream."  # the fake upstream's default answer, so bodies are alike in size
CREATED = 1700000000
COMPLETION = orjson.dumps({
    "id": "chatcmpl-floor", "object": "chat.completion", "created": CREATED, "model": "bench-gpt",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": TEXT}, "logprobs": None,
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10,
              "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}},
})


def _chunk(delta: dict[str, str], finish: str | None) -> bytes:
    payload = {"id": "chatcmpl-floor", "object": "chat.completion.chunk", "created": CREATED, "model": "bench-gpt",
               "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    return b"data: " + orjson.dumps(payload) + b"\n\n"


# 8 chunks (role, 6 content pieces, finish) then [DONE]: about what the gateway
# relays for the fake upstream's default answer.
_WORDS = ["Hello ", "from ", "the ", "fake ", "upstream", "."]
FRAMES = ([_chunk({"role": "assistant", "content": ""}, None)] + [_chunk({"content": w}, None) for w in _WORDS]
          + [_chunk({}, "stop"), b"data: [DONE]\n\n"])


async def _frames() -> AsyncIterator[bytes]:
    # No pauses: the floor is the cheapest streamed answer Django can give
    # (one ASGI body message per chunk, as the gateway sends).
    for frame in FRAMES:
        yield frame


async def chat_completions(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    # Parse the body as any real endpoint must, and to learn whether to stream.
    body = orjson.loads(request.body)
    if body.get("stream") is True:
        response = StreamingHttpResponse(_frames(), content_type="text/event-stream")
        response["cache-control"] = "no-cache"
        return response
    return HttpResponse(COMPLETION, content_type="application/json")


urlpatterns = [path("v1/chat/completions", chat_completions)]
