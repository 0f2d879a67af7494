"""The HTTP edge over real HTTP: CORS preflights and OPTIONS on every route, no
5xx for any method, bodies over the limit refused before they are read, the
header size cap and the deadlines for clients that stall (gateway/edge.py,
gateway/cors.py, gateway/server_limits.py)."""
from __future__ import annotations

import re
import socket
import time

import httpx
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import auth
from tests.keys.helpers import MOCK_CONFIG

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")
ORIGIN = "https://app.example.com"


def every_route() -> list[str]:
    """A concrete path for every URL pattern the gateway serves."""
    paths = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                paths.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", r"\1-x", route))

    walk(get_resolver("gateway.urls").url_patterns, "")
    return sorted(set(paths))


@pytest.fixture(scope="module")
def mock_gateway(tmp_path_factory):
    from tests.gateway_process import GatewayProcess

    config = {**MOCK_CONFIG, "general_settings": {"max_request_size_mb": 1}}
    env = {"REQUEST_HEADER_TIMEOUT_SECONDS": "1", "REQUEST_BODY_TIMEOUT_SECONDS": "1",
           "MAX_REQUEST_HEADER_BYTES": "16384"}
    with GatewayProcess(config, tmp_path_factory.mktemp("edge"), env=env) as process:
        yield process


def test_no_method_on_any_route_answers_a_server_error(mock_gateway):
    failures = []
    with httpx.Client(base_url=mock_gateway.url, timeout=30) as client:
        for path in every_route():
            for method in METHODS:
                for headers in (auth(), {}):
                    answer = client.request(method, path, headers=headers)
                    if answer.status_code >= 500:
                        failures.append(f"{method} {path} -> {answer.status_code} {answer.text[:100]}")
    assert not failures, "\n".join(failures)


def test_a_plain_options_lists_the_methods_of_the_route(mock_gateway):
    answer = httpx.options(f"{mock_gateway.url}/v1/chat/completions", headers=auth())

    assert answer.status_code == 200
    assert answer.headers["allow"] == "POST, OPTIONS"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/chat/completions", "/v1/responses/resp_1",
                                  "/openai/deployments/gpt/chat/completions", "/key/generate", "/spend/logs",
                                  "/health/readiness", "/no/such/route"])
def test_a_preflight_is_allowed_for_any_origin_as_litellm_does(mock_gateway, path):
    answer = httpx.options(f"{mock_gateway.url}{path}", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-litellm-api-key"})

    assert answer.status_code == 200
    # LiteLLM's unconfigured CORS allows credentials, so the origin is echoed rather than "*".
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert answer.headers["access-control-allow-headers"] == "authorization, content-type, x-litellm-api-key"


def test_answers_to_a_browser_carry_the_cors_headers_errors_included(mock_gateway):
    ok = httpx.get(f"{mock_gateway.url}/v1/models", headers={**auth(), "Origin": ORIGIN})
    refused = httpx.post(f"{mock_gateway.url}/v1/chat/completions", headers={"Origin": ORIGIN}, json={})
    plain = httpx.get(f"{mock_gateway.url}/v1/models", headers=auth())

    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "*"
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in plain.headers


def test_configured_origins_are_the_only_ones_allowed(start_gateway):
    gateway = start_gateway({**MOCK_CONFIG, "general_settings": {
        "cors_allow_origins": [ORIGIN], "cors_allow_methods": ["GET", "POST"],
        "cors_allow_headers": ["authorization"]}})

    def preflight(origin: str, method: str = "POST", headers: str = "authorization") -> httpx.Response:
        return httpx.options(f"{gateway.url}/v1/chat/completions", headers={
            "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})

    allowed = preflight(ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-credentials" not in allowed.headers  # off unless cors_allow_credentials
    assert preflight("https://evil.example").status_code == 400
    assert preflight(ORIGIN, method="DELETE").status_code == 400
    assert preflight(ORIGIN, headers="x-other").status_code == 400
    answer = httpx.get(f"{gateway.url}/v1/models", headers={**auth(), "Origin": "https://evil.example"})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


def connect(gateway) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", gateway.port))
    sock.settimeout(5)
    return sock


def read_answer(sock: socket.socket) -> bytes:
    """Whatever the gateway answers until it closes the connection (or 5 s pass)."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def status_of(answer: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    return int(match.group(1)) if match else None


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent_and_before_auth(mock_gateway):
    with connect(mock_gateway) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 500000000\r\n\r\n")
        answer = read_answer(sock)

    assert status_of(answer) == 413
    assert b'"type":"invalid_request_error"' in answer and b"max_request_size_mb" in answer


def test_a_chunked_body_is_refused_once_it_passes_the_limit(mock_gateway):
    """No Content-Length: the gateway counts what arrives and stops reading past
    1 MB; the client cannot push its 64 MB through."""
    chunk = b"x" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent = 0
    with connect(mock_gateway) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(frame)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        answer = read_answer(sock)

    assert status_of(answer) == 413
    assert sent < 32 * 1024 * 1024


def test_headers_over_the_cap_are_refused(mock_gateway):
    with connect(mock_gateway) as sock:
        sock.sendall(b"GET /health/liveliness HTTP/1.1\r\nHost: gw\r\nX-Padding: " + b"a" * 100_000 + b"\r\n\r\n")
        answer = read_answer(sock)

    assert status_of(answer) == 431


def test_a_client_that_trickles_its_headers_is_cut_off(mock_gateway):
    started = time.monotonic()
    with connect(mock_gateway) as sock:
        sock.sendall(b"GET /health/liveliness HTTP/1.1\r\nHost: gw\r\n")
        try:
            for _ in range(25):  # 5 s of one header every 0.2 s, never the blank line
                sock.sendall(b"X-Slow: 1\r\n")
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_answer(sock)

    assert status_of(answer) == 408
    assert time.monotonic() - started < 4.5


def test_a_client_that_stops_sending_its_body_is_cut_off(mock_gateway):
    with connect(mock_gateway) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"model\":")
        started = time.monotonic()
        answer = read_answer(sock)

    assert status_of(answer) == 408
    assert time.monotonic() - started < 4


def test_a_connection_that_sends_nothing_is_closed(mock_gateway):
    with connect(mock_gateway) as sock:
        started = time.monotonic()
        answer = read_answer(sock)

    assert status_of(answer) == 408 and time.monotonic() - started < 4
