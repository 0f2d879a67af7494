"""uvicorn's httptools protocol with the limits it lacks: a cap on request
header size, and deadlines for clients that stall sending headers or a body
(slowloris). Used by `serve` for uvicorn and for its gunicorn workers.

- Headers (request line included) larger than MAX_REQUEST_HEADER_BYTES: 431,
  connection closed.
- Headers not complete REQUEST_HEADER_TIMEOUT_SECONDS after the connection
  opened (or after the first byte of a later request on it): 408, closed.
- No body bytes for REQUEST_BODY_TIMEOUT_SECONDS while a body is still due: 408,
  closed. Time the gateway itself spends not reading (back-pressure) does not
  count.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import orjson
from django.conf import settings
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol


@dataclass(frozen=True, slots=True)
class Limits:
    max_header_bytes: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(settings.MAX_REQUEST_HEADER_BYTES, settings.REQUEST_HEADER_TIMEOUT_SECONDS,
                   settings.REQUEST_BODY_TIMEOUT_SECONDS)


class _Refused(Exception):
    """Raised from a parser callback; uvicorn turns parser errors into its 400,
    which send_400_response replaces with this refusal."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.limits = Limits.from_settings()
        self._header_bytes = 0
        self._refusal: _Refused | None = None
        self._deadline: asyncio.TimerHandle | None = None

    # Deadlines
    def _arm(self, seconds: float, on_expiry) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, on_expiry)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_overdue(self) -> None:
        self._deadline = None
        is_between_answers = self.cycle is None or self.cycle.response_complete
        self._refuse_now(408, "Request headers not received in time", may_answer=is_between_answers)

    def _body_overdue(self) -> None:
        self._deadline = None
        if self.flow.read_paused:  # the gateway is not reading: not the client's fault
            self._arm(self.limits.body_timeout, self._body_overdue)
            return
        self._refuse_now(408, "Request body not received in time", may_answer=not self.cycle.response_started)

    # Connection and parser callbacks
    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm(self.limits.header_timeout, self._headers_overdue)

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_bytes = 0
        if self._deadline is None:  # a later request on a kept-alive connection
            self._arm(self.limits.header_timeout, self._headers_overdue)

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value) + 4)  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        # A body may follow; on_message_complete disarms at once when none does.
        self._arm(self.limits.body_timeout, self._body_overdue)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        self._arm(self.limits.body_timeout, self._body_overdue)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the connection is another protocol's from here on
        super().handle_websocket_upgrade()

    def _count_header_bytes(self, count: int) -> None:
        self._header_bytes += count
        if self._header_bytes > self.limits.max_header_bytes:
            self._refusal = _Refused(431, f"Request headers too large: the limit is "
                                          f"{self.limits.max_header_bytes} bytes")
            raise self._refusal

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
            return
        self._refuse_now(self._refusal.status, str(self._refusal), may_answer=True)

    def _refuse_now(self, status: int, message: str, *, may_answer: bool) -> None:
        """Answer with an error (unless an answer is under way) and close."""
        self._disarm()
        if self.transport.is_closing():
            return
        if may_answer:
            body = orjson.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                           "code": str(status)}})
            self.transport.write(b"".join([
                STATUS_LINE[status], b"content-type: application/json\r\n",
                b"content-length: ", str(len(body)).encode(), b"\r\nconnection: close\r\n\r\n", body]))
        self.transport.close()
