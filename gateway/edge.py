"""The HTTP edge: what is answered or refused before Django reads a request.

- CORS preflights (OPTIONS with Access-Control-Request-Method) are answered
  here for every route, and answers to browsers carry the CORS headers
  (gateway/cors.py).
- A body larger than the limit (general_settings.max_request_size_mb, else
  MAX_REQUEST_BODY_BYTES) is refused with a 413 as soon as its Content-Length,
  or the bytes received so far, say so: before the rest is read, spooled or
  authenticated. The connection is then closed, so the client cannot keep
  sending into it.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson

from gateway.cors import CorsPolicy
from gateway.errors import RequestTooLarge

Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyTooLarge(Exception):
    """Raised by the counting receive once a chunked body passes the limit."""


@dataclass(frozen=True, slots=True)
class RequestHead:
    """The request headers the edge acts on, read in one pass."""

    origin: str | None
    content_length: int | None  # None when absent
    is_chunked: bool  # a body of unknown length follows
    has_cookie: bool

    @classmethod
    def of(cls, headers: list[tuple[bytes, bytes]]) -> RequestHead:
        origin = length = None
        is_chunked = has_cookie = False
        for name, value in headers:
            if name == b"content-length":
                # The server has already refused a malformed length (400).
                length = int(value) if value.isdigit() else None
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"transfer-encoding":
                is_chunked = True
            elif name == b"cookie":
                has_cookie = True
        return cls(origin, length, is_chunked, has_cookie)


def header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None


def is_preflight(scope: dict, head: RequestHead) -> bool:
    return scope["method"] == "OPTIONS" and head.origin is not None and \
        header(scope["headers"], b"access-control-request-method") is not None


async def answer_preflight(scope: dict, send: Send, head: RequestHead, policy: CorsPolicy) -> None:
    status, headers, body = policy.preflight(head.origin or "",
                                             header(scope["headers"], b"access-control-request-method") or "",
                                             header(scope["headers"], b"access-control-request-headers"))
    await _send_whole(send, status, headers, body)


async def refuse_too_large(send: Send, max_bytes: int) -> None:
    error = RequestTooLarge(f"Request body too large: the limit is {max_bytes / (1024 * 1024):g} MB "
                            "(general_settings.max_request_size_mb)")
    # `connection: close`: the server closes the connection after this answer
    # instead of reading (and discarding) the rest of the body.
    headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
    await _send_whole(send, error.status, headers, orjson.dumps(error.as_dict()))


def counting_receive(receive: Receive, max_bytes: int) -> Receive:
    """`receive` for a body of unknown length: raises BodyTooLarge as soon as the
    bytes received pass max_bytes, before any more are read."""
    received = 0

    async def receive_counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise BodyTooLarge
        return message

    return receive_counted


def with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    """`send` that adds `extra` to the response's headers."""

    async def send_with_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *extra]
        await send(message)

    return send_with_headers


async def _send_whole(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
