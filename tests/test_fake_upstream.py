"""Checks for the fake upstream over real HTTP, using the official openai SDK.

Needs no Django; run alone with ``pytest tests/test_fake_upstream.py -p no:django``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import AzureOpenAI, OpenAI

from tests.fake_upstream import FakeUpstream, RecordedRequest

KEY = "sk-test-fake"


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream(api_key=KEY) as server:
        yield server


@pytest.fixture
def server(upstream: FakeUpstream) -> FakeUpstream:
    upstream.reset()
    return upstream


@pytest.fixture
def client(server: FakeUpstream) -> OpenAI:
    return OpenAI(base_url=server.openai_base, api_key=KEY, max_retries=0, timeout=5)


@pytest.fixture
def azure(server: FakeUpstream) -> AzureOpenAI:
    return AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version="2024-10-21",
                       max_retries=0, timeout=5)


def test_chat_completion(client: OpenAI, server: FakeUpstream) -> None:
    resp = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "say hello to me"}])
    assert resp.object == "chat.completion"
    assert resp.id.startswith("chatcmpl-fake-")
    assert resp.model == "gpt-4o-mini"
    assert resp.choices[0].message.content == "Hello from the fake upstream."
    assert resp.choices[0].finish_reason == "stop"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (4, 5, 9)

    [rec] = server.requests
    assert isinstance(rec, RecordedRequest)
    assert (rec.method, rec.path) == ("POST", "/v1/chat/completions")
    assert rec.headers["authorization"] == f"Bearer {KEY}"
    assert rec.body["messages"] == [{"role": "user", "content": "say hello to me"}]


def test_custom_text_behaviour(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("m1", text="one two three")
    resp = client.chat.completions.create(model="m1", messages=[{"role": "user", "content": "x"}])
    assert resp.choices[0].message.content == "one two three"
    assert resp.usage.completion_tokens == 3


def test_streaming_chat_with_usage(client: OpenAI, server: FakeUpstream) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "a b"}],
        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello from the fake upstream."
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.prompt_tokens == 2
    assert chunks[-1].usage.completion_tokens == 5
    assert server.completed_streams == 1


def test_streaming_with_chunk_delay(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("slowstream", chunk_delay=0.01, text="a b c")
    stream = client.chat.completions.create(
        model="slowstream", messages=[{"role": "user", "content": "x"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "a b c"
    assert server.completed_streams == 1


def test_embeddings_base64_default(client: OpenAI) -> None:
    resp = client.embeddings.create(model="text-embedding-3-small", input=["hello world", "x"])
    assert [d.index for d in resp.data] == [0, 1]
    assert len(resp.data[0].embedding) == 8
    assert resp.data[0].embedding[0] == pytest.approx(0.1)
    assert resp.usage.prompt_tokens == 3


def test_embeddings_float(client: OpenAI) -> None:
    resp = client.embeddings.create(model="e", input="one", encoding_format="float")
    assert len(resp.data) == 1
    assert resp.data[0].embedding[:2] == pytest.approx([0.1, -0.2])


def test_completions(client: OpenAI) -> None:
    resp = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="once upon a time")
    assert resp.object == "text_completion"
    assert resp.choices[0].text == "Hello from the fake upstream."
    assert resp.usage.prompt_tokens == 4


def test_completions_stream(client: OpenAI) -> None:
    stream = client.completions.create(model="i", prompt="p", stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices) == "Hello from the fake upstream."


def test_wrong_key_is_401(server: FakeUpstream) -> None:
    bad = OpenAI(base_url=server.openai_base, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"


def test_missing_field_is_400(server: FakeUpstream) -> None:
    resp = httpx.post(f"{server.openai_base}/chat/completions", json={"model": "m"},
                      headers={"Authorization": f"Bearer {KEY}"})
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "messages"


def test_unknown_path_is_404(server: FakeUpstream) -> None:
    resp = httpx.post(f"{server.url}/v1/nope", json={})
    assert resp.status_code == 404
    assert "error" in resp.json()


def test_azure_chat(azure: AzureOpenAI, server: FakeUpstream) -> None:
    resp = azure.chat.completions.create(model="my-deployment", messages=[{"role": "user", "content": "hi"}])
    assert resp.model == "my-deployment"
    assert resp.choices[0].message.content == "Hello from the fake upstream."
    [rec] = server.requests
    assert rec.path == "/openai/deployments/my-deployment/chat/completions"
    assert rec.query == {"api-version": "2024-10-21"}
    assert rec.headers["api-key"] == KEY


def test_azure_embeddings(azure: AzureOpenAI) -> None:
    resp = azure.embeddings.create(model="emb-deploy", input="hello")
    assert resp.model == "emb-deploy"
    assert len(resp.data[0].embedding) == 8


def test_azure_missing_api_version_is_404(server: FakeUpstream) -> None:
    resp = httpx.post(f"{server.url}/openai/deployments/d/chat/completions",
                      json={"messages": [{"role": "user", "content": "x"}]}, headers={"api-key": KEY})
    assert resp.status_code == 404
    assert resp.json() == {"error": {"code": "404", "message": "Resource not found"}}


def test_azure_unknown_api_version_is_404(server: FakeUpstream) -> None:
    old = AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version="1999-01-01", max_retries=0)
    with pytest.raises(openai.NotFoundError):
        old.chat.completions.create(model="d", messages=[{"role": "user", "content": "x"}])


def test_azure_wrong_key_is_401(server: FakeUpstream) -> None:
    bad = AzureOpenAI(azure_endpoint=server.url, api_key="nope", api_version="2024-10-21", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="d", messages=[{"role": "user", "content": "x"}])


def test_status_429_with_retry_after(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("limited", kind="status", status=429, retry_after=7, message="slow down")
    with pytest.raises(openai.RateLimitError) as info:
        client.chat.completions.create(model="limited", messages=[{"role": "user", "content": "x"}])
    assert info.value.response.headers["retry-after"] == "7"
    assert info.value.message.endswith("slow down")


def test_status_500(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("broken", kind="status", status=500)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="broken", messages=[{"role": "user", "content": "x"}])


def test_slow_delays_answer(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("sloth", kind="slow", delay=0.3)
    start = time.monotonic()
    client.chat.completions.create(model="sloth", messages=[{"role": "user", "content": "x"}])
    assert time.monotonic() - start >= 0.3


def test_hang_times_out(server: FakeUpstream) -> None:
    server.set_behaviour("stuck", kind="hang")
    impatient = OpenAI(base_url=server.openai_base, api_key=KEY, max_retries=0, timeout=0.5)
    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(model="stuck", messages=[{"role": "user", "content": "x"}])


def test_abandoned_stream_is_counted(server: FakeUpstream) -> None:
    server.set_behaviour("long", chunk_delay=0.05, text=" ".join(["word"] * 40))
    body = {"model": "long", "stream": True, "messages": [{"role": "user", "content": "x"}]}
    with httpx.Client(timeout=5) as http:
        with http.stream("POST", f"{server.openai_base}/chat/completions", json=body,
                         headers={"Authorization": f"Bearer {KEY}"}) as resp:
            assert resp.headers["content-type"] == "text/event-stream"
            got = []
            for line in resp.iter_lines():
                if line.startswith("data: "):
                    got.append(line)
                if len(got) == 2:
                    break
    assert len(got) == 2
    deadline = time.monotonic() + 2
    while server.cancelled_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.cancelled_streams == 1
    assert server.completed_streams == 0


def test_control_endpoints(client: OpenAI, server: FakeUpstream) -> None:
    resp = httpx.post(f"{server.url}/_control/behaviour",
                      json={"model": "ctl", "kind": "status", "status": 503, "retry_after": 1})
    assert resp.status_code == 200
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="ctl", messages=[{"role": "user", "content": "x"}])
    assert info.value.status_code == 503

    assert httpx.post(f"{server.url}/_control/behaviour", json={"model": "x", "kind": "bogus"}).status_code == 400
    stats = httpx.get(f"{server.url}/_control/stats").json()
    assert stats["requests"] == 1

    assert httpx.post(f"{server.url}/_control/reset").status_code == 200
    assert server.requests == []
    resp2 = client.chat.completions.create(model="ctl", messages=[{"role": "user", "content": "x"}])
    assert resp2.choices[0].finish_reason == "stop"


def test_keep_alive_and_pipelining(server: FakeUpstream) -> None:
    # Two requests in one write on one socket must get two answers, in order.
    body = b'{"model":"m","messages":[{"role":"user","content":"x"}]}'
    req = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode()
           + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    with socket.create_connection(("127.0.0.1", server.port), timeout=2) as sock:
        sock.sendall(req + req)
        data = b""
        while data.count(b"chatcmpl-fake-") < 2:
            data += sock.recv(65536)
    assert data.count(b"HTTP/1.1 200 OK") == 2


def test_record_off() -> None:
    with FakeUpstream(api_key=KEY, record=False) as quiet:
        c = OpenAI(base_url=quiet.openai_base, api_key=KEY, max_retries=0)
        c.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
        assert quiet.requests == []
