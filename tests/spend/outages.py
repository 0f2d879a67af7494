"""Outages a test can cause without touching the machine's shared servers: a
Redis server of the test's own, a TCP proxy in front of PostgreSQL that the
test can stop, and steady load on a gateway while it happens."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import redis

from tests.gateway_process import free_port


class PrivateRedis:
    """`redis-server` on a free port, without persistence: a restart comes back empty."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> PrivateRedis:
        self.process = subprocess.Popen(
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with redis.Redis.from_url(self.url, socket_timeout=1) as client:
                    if client.ping():
                        return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def flush(self) -> None:
        """Redis loses its data while staying up (a failover to an empty replica, eviction)."""
        with redis.Redis.from_url(self.url) as client:
            client.flushall()

    def restart_empty(self, down_seconds: float = 0.5) -> None:
        """`shutdown nosave`, then the same port again, empty."""
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert self.process is not None
        self.process.wait(10)
        time.sleep(down_seconds)
        self.start()

    def keys(self, pattern: str = "*") -> list[bytes]:
        with redis.Redis.from_url(self.url) as client:
            return list(client.scan_iter(match=pattern))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class DatabaseProxy:
    """A TCP proxy in front of the test database. `stop()` does to the gateway
    what a stopped PostgreSQL does: open connections are reset and new ones
    refused, until `start()` listens on the same port again."""

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.port = free_port()
        netloc = parts.netloc.rsplit("@", 1)
        credentials = netloc[0] + "@" if len(netloc) == 2 else ""
        self.url = urlunsplit((parts.scheme, f"{credentials}127.0.0.1:{self.port}", parts.path, parts.query, ""))
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> DatabaseProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            try:  # a reset, not a polite close: what the client sees when the server goes away
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with self._lock:
                    self._sockets.discard(sock)
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@dataclass
class Load:
    """`clients` threads calling the gateway's chat route with `key` until stopped;
    every answer's status and x-litellm-call-id is kept."""

    url: str
    key: str
    model: str
    clients: int = 6
    answers: list[tuple[int, str | None, float]] = field(default_factory=list)  # status, call id, when
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        for _ in range(self.clients):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {self.key}"}) as client:
            while not self._stop.is_set():
                try:
                    answer = client.post("/v1/chat/completions", json={
                        "model": self.model, "messages": [{"role": "user", "content": "hello there"}]})
                except httpx.TransportError:
                    self.answers.append((0, None, time.monotonic()))  # the gateway went away: not answered
                    time.sleep(0.05)
                    continue
                self.answers.append((answer.status_code, answer.headers.get("x-litellm-call-id"), time.monotonic()))

    def until_answered(self, count: int, seconds: float = 60) -> None:
        """Wait until `count` more calls have been answered with 200."""
        target = len(self.answered()) + count
        deadline = time.monotonic() + seconds
        while len(self.answered()) < target:
            assert time.monotonic() < deadline, f"only {len(self.answered())} answers of {target}"
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(40)

    def answered(self, before: float | None = None) -> list[str]:
        """Request ids of the calls answered with 200 (before the monotonic time `before`)."""
        return [call_id for status, call_id, at in list(self.answers)
                if status == 200 and call_id and (before is None or at < before)]


def database_url() -> str:
    return os.environ["DATABASE_URL"]
