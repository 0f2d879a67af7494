"""Checks for the fake upstream over real HTTP, using the official openai SDK.

Needs no Django; run alone with ``pytest tests/test_fake_upstream.py -p no:django``.
"""

from __future__ import annotations

import json
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


# --- agent-like answers to chat requests that offer tools ---------------------------

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "parameters": {"type": "object", "properties": {"input": {"type": "string"}}}}}
RESPONSES_TOOL = {"type": "function", "name": "get_weather",
                  "parameters": {"type": "object", "properties": {"input": {"type": "string"}}}}


def test_chat_with_tools_answers_with_a_call_to_the_first_tool(client: OpenAI) -> None:
    resp = client.chat.completions.create(
        model="agent", tools=[WEATHER_TOOL],
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "weather in Oslo"}])
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    [call] = choice.message.tool_calls
    assert call.id == f"call_fake_{resp.id.rsplit('-', 1)[1]}"
    assert (call.type, call.function.name) == ("function", "get_weather")
    assert json.loads(call.function.arguments) == {"input": "weather in Oslo"}
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens) == (5, 3)


def test_chat_after_a_tool_result_answers_with_that_result(client: OpenAI) -> None:
    first = client.chat.completions.create(
        model="agent", tools=[WEATHER_TOOL], messages=[{"role": "user", "content": "weather?"}])
    call = first.choices[0].message.tool_calls[0]
    resp = client.chat.completions.create(model="agent", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "weather?"},
        first.choices[0].message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"},
    ])
    assert resp.choices[0].message.content == "Tool result: sunny, 21C"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.completion_tokens == 4


def test_chat_with_tools_after_an_assistant_turn_answers_in_text(client: OpenAI) -> None:
    resp = client.chat.completions.create(model="agent", tools=[WEATHER_TOOL], messages=[
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}])
    assert resp.choices[0].message.content == "Hello from the fake upstream."
    assert resp.choices[0].message.tool_calls is None


def test_streamed_chat_tool_call(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("agent", chunk_delay=0.001)
    stream = client.chat.completions.create(
        model="agent", tools=[WEATHER_TOOL], messages=[{"role": "user", "content": "weather in Oslo"}],
        stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    opening = chunks[0].choices[0].delta
    assert opening.role == "assistant" and opening.content is None
    [head] = opening.tool_calls
    assert (head.index, head.id, head.type) == (0, f"call_fake_{chunks[0].id.rsplit('-', 1)[1]}", "function")
    assert (head.function.name, head.function.arguments) == ("get_weather", "")
    fragments = [c.choices[0].delta.tool_calls[0].function.arguments for c in chunks[1:-2]]
    assert len(fragments) >= 2
    assert json.loads("".join(fragments)) == {"input": "weather in Oslo"}
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-2].choices[0].delta.tool_calls is None
    assert chunks[-1].choices == []
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (3, 3)
    assert server.completed_streams == 1


def test_streamed_chat_after_a_tool_result(client: OpenAI) -> None:
    stream = client.chat.completions.create(model="agent", tools=[WEATHER_TOOL], stream=True, messages=[
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ])
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "Tool result: sunny"


def test_tool_call_obeys_the_status_behaviour(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("agent", kind="status", status=429)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="agent", tools=[WEATHER_TOOL], messages=[{"role": "user", "content": "x"}])


# --- the Responses API -------------------------------------------------------------------

def _events(server: FakeUpstream, body: dict) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a raw /v1/responses stream, checking the framing."""
    resp = httpx.post(f"{server.openai_base}/responses", json={**body, "stream": True},
                      headers={"Authorization": f"Bearer {KEY}"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/event-stream"
    assert "[DONE]" not in resp.text
    events = []
    for frame in resp.text.strip().split("\n\n"):
        event_line, data_line = frame.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: ")
        data = json.loads(data_line[len("data: "):])
        assert data["type"] == event_line[len("event: "):]
        events.append((data["type"], data))
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    return events


def test_responses_answers_with_text(client: OpenAI, server: FakeUpstream) -> None:
    resp = client.responses.create(model="gpt-4.1", input="say hello to me", instructions="be kind")
    assert resp.id.startswith("resp_fake_")
    assert (resp.object, resp.status, resp.model) == ("response", "completed", "gpt-4.1")
    assert resp.output_text == "Hello from the fake upstream."
    [item] = resp.output
    assert (item.type, item.role, item.status) == ("message", "assistant", "completed")
    assert item.id.startswith("msg_fake_")
    assert resp.instructions == "be kind"
    assert resp.previous_response_id is None
    assert (resp.usage.input_tokens, resp.usage.output_tokens, resp.usage.total_tokens) == (6, 5, 11)
    [rec] = server.requests
    assert (rec.path, rec.body["input"]) == ("/v1/responses", "say hello to me")


def test_responses_counts_words_of_list_input(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("gpt-4.1", text="one two")
    resp = client.responses.create(model="gpt-4.1", input=[
        {"role": "developer", "content": "be brief"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi there you"}]},
    ])
    assert resp.output_text == "one two"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (5, 2)


def test_responses_stream_events_in_order(server: FakeUpstream) -> None:
    server.set_behaviour("gpt-4.1", text="a b c")
    events = _events(server, {"model": "gpt-4.1", "input": "one two"})
    assert [name for name, _ in events] == [
        "response.created", "response.in_progress",
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done", "response.output_item.done",
        "response.completed",
    ]
    created = events[0][1]["response"]
    assert (created["status"], created["output"], created["usage"]) == ("in_progress", [], None)
    assert "".join(d["delta"] for name, d in events if name == "response.output_text.delta") == "a b c"
    completed = events[-1][1]["response"]
    assert completed["id"] == created["id"]
    assert completed["status"] == "completed"
    assert completed["output"][0]["content"][0]["text"] == "a b c"
    assert completed["usage"]["input_tokens"] == 2
    assert completed["usage"]["output_tokens"] == 3
    assert completed["usage"]["total_tokens"] == 5
    assert server.completed_streams == 1


def test_responses_stream_parses_as_typed_events(client: OpenAI) -> None:
    events = list(client.responses.create(model="gpt-4.1", input="hi", stream=True))
    assert type(events[0]).__name__ == "ResponseCreatedEvent"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "Hello from the fake upstream."
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == text
    assert events[-1].response.usage.output_tokens == 5

    with client.responses.stream(model="gpt-4.1", input="hi") as stream:
        assert stream.get_final_response().output_text == text


def test_responses_stream_is_paced_by_chunk_delay(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("slow-resp", chunk_delay=0.02, text="a b c")
    start = time.monotonic()
    events = list(client.responses.create(model="slow-resp", input="hi", stream=True))
    assert time.monotonic() - start >= 0.02 * (len(events) - 1)
    assert events[-1].response.output_text == "a b c"


def test_responses_function_call_round_trip(client: OpenAI, server: FakeUpstream) -> None:
    first = client.responses.create(model="agent", input="weather in Oslo", tools=[RESPONSES_TOOL])
    [call] = first.output
    number = first.id.removeprefix("resp_fake_")
    assert (call.type, call.id, call.call_id) == ("function_call", f"fc_fake_{number}", f"call_fake_{number}")
    assert (call.name, call.status) == ("get_weather", "completed")
    assert json.loads(call.arguments) == {"input": "weather in Oslo"}
    assert first.output_text == ""
    assert first.usage.output_tokens == 3

    second = client.responses.create(model="agent", tools=[RESPONSES_TOOL], input=[
        {"role": "user", "content": "weather in Oslo"},
        call.model_dump(),
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny, 21C"},
    ])
    assert second.output_text == "Tool result: sunny, 21C"
    assert second.usage.output_tokens == 4


def test_responses_streamed_function_call(server: FakeUpstream) -> None:
    events = _events(server, {"model": "agent", "input": "weather in Oslo", "tools": [RESPONSES_TOOL]})
    names = [name for name, _ in events]
    deltas = [d["delta"] for name, d in events if name == "response.function_call_arguments.delta"]
    assert len(deltas) >= 2
    assert names == ["response.created", "response.in_progress", "response.output_item.added",
                     *["response.function_call_arguments.delta"] * len(deltas),
                     "response.function_call_arguments.done", "response.output_item.done",
                     "response.completed"]
    added = events[2][1]["item"]
    assert (added["type"], added["arguments"], added["status"]) == ("function_call", "", "in_progress")
    assert json.loads("".join(deltas)) == {"input": "weather in Oslo"}
    assert events[-3][1]["arguments"] == "".join(deltas)
    [item] = events[-1][1]["response"]["output"]
    assert (item["id"], item["name"], item["status"]) == (added["id"], "get_weather", "completed")


def test_responses_previous_response_id_is_never_found(client: OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.responses.create(model="m", input="again", previous_response_id="resp_abc")
    assert info.value.status_code == 400
    assert info.value.body == {"message": "Previous response with id 'resp_abc' not found.",
                               "type": "invalid_request_error", "param": "previous_response_id",
                               "code": "previous_response_not_found"}


@pytest.mark.parametrize(("body", "param", "code"), [
    ({"model": "m"}, "input", "missing_required_parameter"),
    ({"model": "m", "input": 3}, "input", "missing_required_parameter"),
    ({"input": "x"}, "model", "missing_required_parameter"),
    ({"model": "m", "input": "x", "messages": []}, "messages", "unknown_parameter"),
    ({"model": "m", "input": "x", "stream": True, "stream_options": {"include_usage": True}},
     "stream_options.include_usage", "unknown_parameter"),
])
def test_responses_rejects_bad_requests(server: FakeUpstream, body: dict, param: str, code: str) -> None:
    resp = httpx.post(f"{server.openai_base}/responses", json=body,
                      headers={"Authorization": f"Bearer {KEY}"})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    if code == "unknown_parameter":
        assert error["message"] == f"Unknown parameter: '{param}'."


def test_responses_wrong_key_is_401(server: FakeUpstream) -> None:
    resp = httpx.post(f"{server.openai_base}/responses", json={"model": "m", "input": "x"},
                      headers={"Authorization": "Bearer sk-wrong"})
    assert resp.status_code == 401


def test_responses_obey_the_status_behaviour(client: OpenAI, server: FakeUpstream) -> None:
    server.set_behaviour("limited", kind="status", status=429, retry_after=2)
    with pytest.raises(openai.RateLimitError) as info:
        client.responses.create(model="limited", input="x", stream=True)
    assert info.value.response.headers["retry-after"] == "2"


def test_azure_responses(server: FakeUpstream) -> None:
    azure = AzureOpenAI(azure_endpoint=server.url, api_key=KEY, api_version="2025-03-01-preview",
                        max_retries=0, timeout=5)
    resp = azure.responses.create(model="my-deployment", input="hi", tools=[RESPONSES_TOOL])
    assert resp.model == "my-deployment"
    assert resp.output[0].type == "function_call"
    events = list(azure.responses.create(model="my-deployment", input="hi", stream=True))
    assert events[-1].response.output_text == "Hello from the fake upstream."
    rec = server.requests[0]
    assert rec.path == "/openai/responses"
    assert rec.query == {"api-version": "2025-03-01-preview"}
    assert rec.headers["api-key"] == KEY


def test_azure_responses_needs_a_known_api_version_and_key(server: FakeUpstream) -> None:
    body = {"model": "d", "input": "x"}
    url = f"{server.url}/openai/responses"
    assert httpx.post(url, json=body, headers={"api-key": KEY}).status_code == 404
    assert httpx.post(url, params={"api-version": "1999-01-01"}, json=body,
                      headers={"api-key": KEY}).status_code == 404
    assert httpx.post(url, params={"api-version": "preview"}, json=body,
                      headers={"api-key": "nope"}).status_code == 401
    for version in ("2024-10-21", "2025-04-01-preview", "preview"):
        assert httpx.post(url, params={"api-version": version}, json=body,
                          headers={"api-key": KEY}).status_code == 200


def test_azure_v1_responses_needs_no_api_version(server: FakeUpstream) -> None:
    v1 = OpenAI(base_url=f"{server.url}/openai/v1", api_key=KEY, default_headers={"api-key": KEY},
                max_retries=0, timeout=5)
    resp = v1.responses.create(model="my-deployment", input="hi")
    assert (resp.model, resp.output_text) == ("my-deployment", "Hello from the fake upstream.")
    assert server.requests[0].path == "/openai/v1/responses"
    bad = httpx.post(f"{server.url}/openai/v1/responses", json={"model": "d", "input": "x"},
                     headers={"api-key": "nope"})
    assert bad.status_code == 401
