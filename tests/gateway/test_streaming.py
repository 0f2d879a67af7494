"""Server-sent events: chunk by chunk, usage chunk only on request, cancel on disconnect."""
import time

import httpx
import orjson

from tests.conftest import MASTER_KEY, auth


def test_a_stream_arrives_as_chunks_ending_in_done(http):
    with http.stream("POST", "/v1/chat/completions", headers=auth(),
                     json={"model": "gpt-4.1", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        frames = [line for line in r.iter_lines() if line]

    assert frames[-1] == "data: [DONE]"
    chunks = [orjson.loads(frame[len("data: "):]) for frame in frames[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(chunk["model"] == "gpt-4.1" for chunk in chunks)
    assert all(chunk["choices"] for chunk in chunks), "usage chunk leaked to a client that did not ask"


def test_the_sdk_gets_the_usage_chunk_when_it_asks(client, upstream):
    stream = client.chat.completions.create(model="gpt-4.1", stream=True, stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "one two three"}])
    chunks = list(stream)

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello from the fake upstream."
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 3


def test_the_gateway_always_asks_the_provider_for_usage(client, upstream):
    list(client.chat.completions.create(model="gpt-4.1", stream=True, messages=[{"role": "user", "content": "x"}]))

    assert upstream.requests[-1].body["stream_options"] == {"include_usage": True}


def test_chunks_are_passed_on_as_they_arrive(http, upstream):
    upstream.set_behaviour("gpt-4.1", text="a b c d", chunk_delay=0.3)
    arrivals = []
    start = time.monotonic()
    with http.stream("POST", "/v1/chat/completions", headers=auth(),
                     json={"model": "gpt-4.1", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as r:
        for line in r.iter_lines():
            if line.startswith("data: {"):
                arrivals.append(time.monotonic() - start)

    # Six chunks 0.3 s apart upstream: a buffering gateway would deliver them all at the end.
    assert arrivals[0] < 0.5
    assert arrivals[-1] - arrivals[0] > 1.0


def test_a_client_that_disconnects_cancels_the_upstream_stream(gateway, upstream):
    upstream.set_behaviour("gpt-4.1", text=" ".join(["word"] * 50), chunk_delay=0.1)
    with httpx.Client(base_url=gateway.url, timeout=10) as session:
        with session.stream("POST", "/v1/chat/completions", headers=auth(), json={
                "model": "gpt-4.1", "stream": True, "messages": [{"role": "user", "content": "hi"}]}) as r:
            lines = r.iter_lines()
            next(lines)
            next(lines)
    deadline = time.monotonic() + 3
    while upstream.cancelled_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.05)

    assert upstream.cancelled_streams == 1
    assert upstream.completed_streams == 0


def test_an_upstream_error_before_the_stream_starts_keeps_its_status(http, upstream):
    upstream.set_behaviour("gpt-4.1", kind="status", status=429, retry_after=7, message="slow down")

    answer = http.post("/v1/chat/completions", headers=auth(), json={
        "model": "gpt-4.1", "stream": True, "messages": [{"role": "user", "content": "hi"}]})

    assert answer.status_code == 429
    assert "slow down" in answer.json()["error"]["message"]
    assert answer.headers["retry-after"] == "7"


def test_the_mock_provider_streams(http):
    with http.stream("POST", "/v1/chat/completions", headers={"x-litellm-api-key": MASTER_KEY}, json={
            "model": "mock-gpt", "stream": True, "messages": [{"role": "user", "content": "one two"}]}) as r:
        frames = [line for line in r.iter_lines() if line.startswith("data: ")]

    chunks = [orjson.loads(f[6:]) for f in frames[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "one two"
    assert frames[-1] == "data: [DONE]"


def test_text_completions_stream(client):
    stream = client.completions.create(model="gpt-4.1", prompt="hi", stream=True)

    assert "".join(chunk.choices[0].text for chunk in stream if chunk.choices) == "Hello from the fake upstream."
