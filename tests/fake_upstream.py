"""A fast fake OpenAI / Azure OpenAI upstream for tests and benchmarks.

A plain HTTP/1.1 server on raw asyncio (no framework) so that it can take tens
of thousands of requests per second without becoming the bottleneck of a
gateway benchmark.  Behaviour is configurable per model (or Azure deployment),
and every request can be recorded so tests can assert what the gateway sent.

Routes: OpenAI ``/v1/chat/completions``, ``/v1/completions``, ``/v1/embeddings``
and ``/v1/responses`` (Bearer key); Azure ``/openai/deployments/<d>/<op>`` and
``/openai/responses`` (both with ``?api-version=``) and ``/openai/v1/responses``
(``api-key`` header; for responses the deployment is the body's ``model``).
Requests that offer tools get agent-like answers: see ``tests/fake_answers.py``.
The HTTP/1.1 connection handling is in ``tests/fake_http.py``.

In-process use::

    with FakeUpstream() as up:
        up.set_behaviour("gpt-4o", kind="status", status=429, retry_after=3)
        client = OpenAI(base_url=up.openai_base, api_key=up.api_key)

Out-of-process use::

    python -m tests.fake_upstream --port 9000 --api-key sk-... [--no-record]

and configure it with ``POST /_control/behaviour`` / ``POST /_control/reset``;
``GET /_control/stats`` returns request and stream counters.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import threading
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from tests import fake_responses
from tests.fake_http import CLOSE, Connection
from tests.fake_answers import answer, stream_frames
from tests.fake_answers import error_body as _error_body
from tests.fake_answers import missing as _missing
from tests.fake_answers import status_error_body as _status_error_body


DEFAULT_TEXT = "Hello from the fake upstream."
DEFAULT_API_VERSIONS = frozenset(
    {"2024-10-21", "2024-06-01", "2025-01-01-preview", "2025-02-01-preview", "2024-02-01"}
)
# Azure's Responses API came later: accepted on /openai/responses besides the above.
RESPONSES_API_VERSIONS = frozenset({"2025-03-01-preview", "2025-04-01-preview", "preview"})
BEHAVIOUR_KINDS = ("ok", "status", "slow", "hang")

# Route tables: operation name -> field the body must carry.
_OPENAI_ROUTES = {
    "/v1/chat/completions": "chat",
    "/v1/completions": "completions",
    "/v1/embeddings": "embeddings",
    "/v1/responses": "responses",
}
_AZURE_PREFIX = "/openai/deployments/"
_AZURE_RESPONSES = "/openai/responses"        # needs an api-version
_AZURE_V1_RESPONSES = "/openai/v1/responses"  # the v1 API: no api-version
_AZURE_OPS = {"chat/completions": "chat", "completions": "completions", "embeddings": "embeddings"}
_REQUIRED_FIELD = {"chat": "messages", "completions": "prompt", "embeddings": "input"}

# --- precomputed bytes for the hot path ------------------------------------

_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\nServer: fake-upstream\r\nContent-Type: text/event-stream\r\n"
    b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n"
)
_LAST_CHUNK = b"0\r\n\r\n"

_UNAUTHORIZED_OPENAI = orjson.dumps({"error": {
    "message": "Incorrect API key provided", "type": "invalid_request_error",
    "param": None, "code": "invalid_api_key",
}})
_UNAUTHORIZED_AZURE = orjson.dumps({"error": {
    "code": "401",
    "message": "Access denied due to invalid subscription key or wrong API endpoint. "
               "Make sure to provide a valid key for an active subscription and use a "
               "correct regional API endpoint for your resource.",
}})
_NOT_FOUND_AZURE = orjson.dumps({"error": {"code": "404", "message": "Resource not found"}})
_OK_CONTROL = orjson.dumps({"ok": True})


def _sse_chunk(payload: bytes) -> bytes:
    """One SSE frame wrapped as one HTTP chunk."""
    frame = b"data: " + payload + b"\n\n"
    return b"%x\r\n%b\r\n" % (len(frame), frame)


def _sse_event_chunk(event: tuple[bytes, bytes]) -> bytes:
    """One typed SSE frame (``event:`` and ``data:`` lines) wrapped as one HTTP chunk."""
    name, payload = event
    frame = b"event: %b\ndata: %b\n\n" % (name, payload)
    return b"%x\r\n%b\r\n" % (len(frame), frame)


# --- public data types -----------------------------------------------------

@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: dict[str, Any] | None


@dataclass(frozen=True)
class Behaviour:
    """How the fake answers for one model.  Unknown params raise TypeError."""

    kind: str = "ok"
    text: str = DEFAULT_TEXT
    delay: float = 0.0          # seconds before answering (any kind but hang)
    chunk_delay: float = 0.0    # seconds between stream chunks
    status: int = 500           # kind="status"
    retry_after: float | str | None = None
    message: str | None = None
    words: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in BEHAVIOUR_KINDS:
            raise ValueError(f"unknown behaviour kind {self.kind!r}; expected one of {BEHAVIOUR_KINDS}")
        object.__setattr__(self, "words", tuple(self.text.split()))


_DEFAULT_BEHAVIOUR = Behaviour()


# --- the server --------------------------------------------------------------

class FakeUpstream:
    """Fake OpenAI/Azure OpenAI server; see the module docstring."""

    def __init__(self, api_key: str = "sk-fake-upstream", host: str = "127.0.0.1",
                 port: int = 0, record: bool = True,
                 api_versions: set[str] | frozenset[str] | None = None) -> None:
        self.api_key = api_key
        self.host = host
        self.port = port
        self.record = record
        self.api_versions = frozenset(api_versions) if api_versions is not None else DEFAULT_API_VERSIONS
        self.responses_api_versions = self.api_versions | RESPONSES_API_VERSIONS
        self._bearer = f"Bearer {api_key}"

        # Behaviours are replaced wholesale (copy-on-write) so the loop thread
        # can read them without locking; the lock only serialises writers.
        self._behaviours: dict[str, Behaviour] = {}
        self._behaviour_lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self.request_count = 0
        self.completed_streams = 0
        self.cancelled_streams = 0
        self._ids = itertools.count(1)

        self.connections: set[Connection] = set()
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # --- public API ---------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base(self) -> str:
        return self.url + "/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the recorded requests (oldest first)."""
        with self._requests_lock:
            return list(self._requests)

    def set_behaviour(self, model: str, kind: str = "ok", **params: Any) -> Behaviour:
        if kind == "slow":
            params.setdefault("delay", 1.0)
        behaviour = Behaviour(kind=kind, **params)
        with self._behaviour_lock:
            self._behaviours = {**self._behaviours, model: behaviour}
        return behaviour

    def reset(self) -> None:
        """Forget behaviours, recorded requests and counters."""
        with self._behaviour_lock:
            self._behaviours = {}
        with self._requests_lock:
            self._requests = []
        self.request_count = 0
        self.completed_streams = 0
        self.cancelled_streams = 0

    def start(self) -> FakeUpstream:
        """Serve from a daemon thread with its own event loop; return once listening."""
        if self._thread is not None:
            raise RuntimeError("already started")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)  # this thread's loop, for helpers that look it up
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # surface bind errors to start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.close()

        self._thread = threading.Thread(target=run, name="fake-upstream", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
        try:
            future.result(timeout=5)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._thread = None
            self._loop = None

    def __enter__(self) -> FakeUpstream:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def serve_forever(self, announce: bool = True) -> None:
        """Serve on the current event loop until cancelled (used by the CLI)."""
        await self._listen()
        if announce:
            print(f"listening on {self.url}", flush=True)
        try:
            await asyncio.Future()
        finally:
            await self._shutdown()

    # --- lifecycle internals --------------------------------------------------

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self), self.host, self.port, reuse_address=True, backlog=4096,
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self.connections):
            conn.close()  # also ends hanging requests via connection_lost
        await asyncio.sleep(0)

    # --- request handling -----------------------------------------------------

    def dispatch(self, conn: Connection, method: str, target: str,
                  headers: dict[str, str], raw: bytes) -> Coroutine[Any, Any, None] | None:
        """Answer one request; returns a coroutine when the answer is not immediate."""
        path, _, qs = target.partition("?")
        if path.startswith("/_control/"):
            self._control(conn, method, path, raw)
            return None

        self.request_count += 1
        query = dict(parse_qsl(qs, keep_blank_values=True)) if qs else {}
        body: Any = None
        bad_json = False
        if raw:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                bad_json = True
        if self.record:
            rec = RecordedRequest(method, path, query, headers, body if isinstance(body, dict) else None)
            with self._requests_lock:
                self._requests.append(rec)

        op = _OPENAI_ROUTES.get(path)
        deployment: str | None = None
        if op is not None:
            if headers.get("authorization") != self._bearer:
                conn.send(401, _UNAUTHORIZED_OPENAI)
                return None
        elif path.startswith(_AZURE_PREFIX) or path == _AZURE_RESPONSES or path == _AZURE_V1_RESPONSES:
            op, deployment = self._azure_route(path, query)
            if op is None:
                conn.send(404, _NOT_FOUND_AZURE)
                return None
            if headers.get("api-key") != self.api_key:
                conn.send(401, _UNAUTHORIZED_AZURE)
                return None
        else:
            conn.send(404, _error_body(f"Invalid URL ({method} {path})"))
            return None

        if method != "POST":
            conn.send(405, _error_body(f"Method {method} not allowed for {path}"))
            return None
        if bad_json or not isinstance(body, dict):
            conn.send(400, _error_body(
                "We could not parse the JSON body of your request. The body must be a JSON object."))
            return None
        model = deployment or body.get("model")
        if not model or not isinstance(model, str):
            conn.send(400, _missing("model"))
            return None
        if op == "responses":
            invalid = fake_responses.request_error(body)
            if invalid is not None:
                conn.send(400, invalid)
                return None
        elif body.get(_REQUIRED_FIELD[op]) is None:
            conn.send(400, _missing(_REQUIRED_FIELD[op]))
            return None

        behaviour = self._behaviours.get(model, _DEFAULT_BEHAVIOUR)
        if behaviour.kind == "hang":
            return _hang()
        if behaviour.kind == "status":
            status, payload, extra = _status_response(behaviour)
            if behaviour.delay:
                return _send_later(conn, behaviour.delay, status, payload, extra)
            conn.send(status, payload, extra)
            return None

        if body.get("stream") is True and op != "embeddings":
            chunks = self._stream_chunks(op, model, body, behaviour)
            if behaviour.delay or behaviour.chunk_delay:
                return self._stream(conn, chunks, behaviour)
            # Fast path: the whole stream in one write. Counted first: a client
            # may read the whole stream and ask for the counters before the next line runs.
            self.completed_streams += 1
            conn.write(_STREAM_HEAD + (b"" if conn.keep_alive else CLOSE) + b"\r\n"
                       + b"".join(chunks) + _LAST_CHUNK)
            if not conn.keep_alive:
                conn.close()
            return None

        payload = self._answer_for(op, model, body, behaviour)
        if behaviour.delay:
            return _send_later(conn, behaviour.delay, 200, payload, b"")
        conn.send(200, payload)
        return None

    def _azure_route(self, path: str, query: dict[str, str]) -> tuple[str | None, str | None]:
        """(operation, deployment) of an Azure path; (None, None) where Azure answers 404."""
        version = query.get("api-version")
        if path == _AZURE_V1_RESPONSES:
            return "responses", None
        if path == _AZURE_RESPONSES:
            return ("responses", None) if version in self.responses_api_versions else (None, None)
        deployment, _, rest = path[len(_AZURE_PREFIX):].partition("/")
        op = _AZURE_OPS.get(rest)
        # Azure answers 404 for unknown routes and unknown/missing api-version alike.
        if not deployment or op is None or version not in self.api_versions:
            return None, None
        return op, deployment

    def _control(self, conn: Connection, method: str, path: str, raw: bytes) -> None:
        if path == "/_control/stats" and method == "GET":
            conn.send(200, orjson.dumps({
                "requests": self.request_count,
                "completed_streams": self.completed_streams,
                "cancelled_streams": self.cancelled_streams,
            }))
        elif path == "/_control/reset" and method == "POST":
            self.reset()
            conn.send(200, _OK_CONTROL)
        elif path == "/_control/behaviour" and method == "POST":
            try:
                params = orjson.loads(raw)
                model = params.pop("model")
                self.set_behaviour(model, **params)
            except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError) as exc:
                conn.send(400, _error_body(f"bad behaviour: {exc!r}"))
                return
            conn.send(200, _OK_CONTROL)
        else:
            conn.send(404, _error_body(f"Invalid URL ({method} {path})"))

    # --- bodies ---------------------------------------------------------------

    def _answer_for(self, op: str, model: str, body: dict[str, Any], behaviour: Behaviour) -> bytes:
        if op == "responses":
            return fake_responses.answer(model, body, behaviour.text, behaviour.words, next(self._ids))
        return answer(op, model, body, behaviour.text, behaviour.words, next(self._ids))

    def _stream_chunks(self, op: str, model: str, body: dict[str, Any],
                       behaviour: Behaviour) -> Iterable[bytes]:
        """The HTTP chunks of a streamed answer, one SSE frame each."""
        if op == "responses":
            events = fake_responses.stream_events(model, body, behaviour.words, next(self._ids))
            return map(_sse_event_chunk, events)
        return map(_sse_chunk, stream_frames(op, model, body, behaviour.words, next(self._ids)))

    async def _stream(self, conn: Connection, chunks: Iterable[bytes], behaviour: Behaviour) -> None:
        # From here until the last chunk, a lost connection counts as an abandoned stream.
        conn.streaming = True
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        conn.write(_STREAM_HEAD + (b"" if conn.keep_alive else CLOSE) + b"\r\n")
        for i, chunk in enumerate(chunks):
            if i and behaviour.chunk_delay:
                await asyncio.sleep(behaviour.chunk_delay)
            conn.write(chunk)
        if conn.closed:
            return  # connection_lost already counted it as cancelled
        conn.streaming = False
        # Counted before the last chunk, as on the fast path: a client may read
        # it and ask for the counters before the next line runs.
        self.completed_streams += 1
        conn.write(_LAST_CHUNK)
        if not conn.keep_alive:
            conn.close()


# --- small helpers -------------------------------------------------------------

def _status_response(behaviour: Behaviour) -> tuple[int, bytes, bytes]:
    payload = _status_error_body(behaviour.status, behaviour.message)
    extra = b""
    if behaviour.retry_after is not None:
        value = behaviour.retry_after
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        extra = b"Retry-After: %b\r\n" % str(value).encode()
    return behaviour.status, payload, extra


async def _send_later(conn: Connection, delay: float, status: int, payload: bytes, extra: bytes) -> None:
    await asyncio.sleep(delay)
    conn.send(status, payload, extra)


async def _hang() -> None:
    # Never answer; connection_lost (client gone or server stopping) cancels this.
    await asyncio.get_running_loop().create_future()


# --- CLI -----------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake OpenAI / Azure OpenAI upstream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--api-key", default="sk-fake-upstream")
    parser.add_argument("--no-record", action="store_true", help="do not keep recorded requests")
    parser.add_argument("--api-version", action="append", dest="api_versions",
                        help="accepted Azure api-version (repeatable; default: a built-in set)")
    args = parser.parse_args(argv)

    server = FakeUpstream(api_key=args.api_key, host=args.host, port=args.port,
                          record=not args.no_record, api_versions=args.api_versions)
    try:
        import uvloop  # optional: noticeably faster accept/read/write paths
    except ImportError:
        uvloop = None
    try:
        if uvloop is not None:
            uvloop.run(server.serve_forever())
        else:
            asyncio.run(server.serve_forever())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
