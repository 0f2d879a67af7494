"""Server-sent events to the client, one frame per upstream chunk as it arrives.

The usage chunk the gateway always asks for is passed on only to clients that
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
