"""The fake upstream's HTTP/1.1 side: one asyncio protocol per client
connection, parsing requests in order and writing JSON answers, with no
framework in the way (the fake must outrun the gateway it is measured beside)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from http import HTTPStatus
from typing import Any, Protocol

from tests.fake_answers import error_body

log = logging.getLogger("tests.fake_upstream")

MAX_HEAD_BYTES = 64 * 1024  # refuse absurd header blocks instead of buffering forever
_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus}
_JSON_HEADERS = b"Server: fake-upstream\r\nContent-Type: application/json\r\nContent-Length: "
CLOSE = b"Connection: close\r\n"


class Server(Protocol):
    """What a connection needs from the server it belongs to."""

    connections: set[Connection]
    cancelled_streams: int

    def dispatch(self, conn: Connection, method: str, target: str, headers: dict[str, str],
                 raw: bytes) -> Coroutine[Any, Any, None] | None:
        ...


def _status_line(status: int) -> bytes:
    return _STATUS_LINES.get(status) or f"HTTP/1.1 {status} Unknown\r\n".encode()


class Connection(asyncio.Protocol):
    """One client connection: parses requests in order, one in flight at a time."""

    def __init__(self, app: Server) -> None:
        self.app = app
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.task: asyncio.Task[None] | None = None  # the request being answered asynchronously
        self.keep_alive = True
        self.closed = False
        self.streaming = False
        self.sent_continue = False

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.app.connections.add(self)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.task is None:
            self._process()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.app.connections.discard(self)
        if self.streaming:
            self.streaming = False
            self.app.cancelled_streams += 1
        if self.task is not None:
            self.task.cancel()

    # request parsing
    def _process(self) -> None:
        # Pipelined requests wait until the previous asynchronous answer is done.
        while self.task is None and not self.closed:
            buf = self.buf
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD_BYTES:
                    self._fatal(431, "Request header fields too large")
                return
            lines = buf[:end].decode("latin-1").split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self._fatal(400, "Malformed request line")
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "transfer-encoding" in headers:
                self._fatal(501, "Chunked request bodies are not supported")
                return
            try:
                length = int(headers.get("content-length") or 0)
            except ValueError:
                self._fatal(400, "Invalid Content-Length")
                return
            total = end + 4 + length
            if len(buf) < total:
                if not self.sent_continue and headers.get("expect", "").lower() == "100-continue":
                    self.sent_continue = True
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                return
            body = bytes(buf[end + 4:total])
            del buf[:total]
            self.sent_continue = False

            connection = headers.get("connection", "").lower()
            if version == "HTTP/1.0":
                self.keep_alive = "keep-alive" in connection
            else:
                self.keep_alive = "close" not in connection

            pending = self.app.dispatch(self, method, target, headers, body)
            if pending is not None:
                self.task = asyncio.get_running_loop().create_task(pending)
                self.task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.task = None
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("fake upstream handler failed", exc_info=exc)
            self.close()
            return
        if not self.closed:
            self._process()

    # writing
    def write(self, data: bytes) -> None:
        if not self.closed:
            self.transport.write(data)

    def send(self, status: int, body: bytes, extra_headers: bytes = b"") -> None:
        """Write a complete JSON response and honour keep-alive."""
        if self.closed:
            return
        head = b"%b%b%d\r\n%b%b\r\n" % (
            _status_line(status), _JSON_HEADERS, len(body), extra_headers,
            b"" if self.keep_alive else CLOSE,
        )
        self.transport.write(head + body)
        if not self.keep_alive:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.transport.close()

    def _fatal(self, status: int, message: str) -> None:
        self.keep_alive = False
        self.send(status, error_body(message))
