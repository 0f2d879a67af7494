"""Server-sent events to the client, one frame per upstream chunk as it arrives.

Chat and completions streams are `data:` frames ending with [DONE]; Responses
API streams are typed events (`event:` and `data:`) without [DONE], their
failures an `error` event. The usage chunk the gateway always asks for is passed on only to clients that
asked for it. A failure after the 200 header becomes an error frame; a client
that disconnects cancels this generator, whose `finally` closes the upstream.
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import orjson

from gateway.errors import GatewayError
from gateway.types import ProviderStream, ProxyCall

logger = logging.getLogger("gateway.streaming")

DONE = b"data: [DONE]\n\n"


async def sse_frames(stream: ProviderStream, call: ProxyCall, response_model: str | None) -> AsyncIterator[bytes]:
    chunks = stream.chunks
    try:
        async for chunk in chunks:
            if not call.wants_usage_chunk and _is_usage_only(chunk):
                continue
            if response_model is not None and "model" in chunk:
                chunk["model"] = response_model
            yield b"data: " + orjson.dumps(chunk) + b"\n\n"
        yield DONE
    except GatewayError as error:
        yield b"data: " + orjson.dumps(error.as_dict()) + b"\n\n" + DONE
    except Exception as exc:  # the 200 is already sent: report in-band, never a traceback
        logger.error("stream %s failed", call.request_id, exc_info=exc)
        failure = GatewayError(f"The upstream stream failed: {type(exc).__name__}", status=502)
        yield b"data: " + orjson.dumps(failure.as_dict()) + b"\n\n" + DONE
    finally:
        await chunks.aclose()


def _is_usage_only(chunk: dict) -> bool:
    return chunk.get("usage") is not None and not chunk.get("choices")


async def event_frames(stream: ProviderStream, call: ProxyCall, response_model: str | None) -> AsyncIterator[bytes]:
    """A Responses API event stream, as OpenAI frames it."""
    events = stream.chunks
    next_sequence = 0
    try:
        async for event in events:
            response = event.get("response")
            if response_model is not None and isinstance(response, dict) and "model" in response:
                response["model"] = response_model
            sequence = event.get("sequence_number")
            next_sequence = sequence + 1 if isinstance(sequence, int) else next_sequence + 1
            yield _event_frame(event)
    except GatewayError as error:
        yield _event_frame(_error_event(error, next_sequence))
    except Exception as exc:  # the 200 is already sent: report in-band, never a traceback
        logger.error("stream %s failed", call.request_id, exc_info=exc)
        failure = GatewayError(f"The upstream stream failed: {type(exc).__name__}", status=502)
        yield _event_frame(_error_event(failure, next_sequence))
    finally:
        await events.aclose()


def _event_frame(event: dict) -> bytes:
    return b"event: " + str(event.get("type", "message")).encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def _error_event(error: GatewayError, sequence: int) -> dict:
    return {"type": "error", "code": error.code, "message": error.message, "param": error.param,
            "sequence_number": sequence}
