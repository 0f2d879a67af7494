"""How a Responses API event stream is framed for the client, failures included."""
import asyncio

import orjson

from gateway.errors import ProviderError
from gateway.proxy.streaming import event_frames
from gateway.types import CallType, ProviderStream, ProxyCall

CALL = ProxyCall(call_type=CallType.RESPONSES, route="/v1/responses", model="gpt-4.1", body={}, request_id="r-1",
                 is_stream=True)


def frames_of(events: list, failure: Exception | None = None, response_model: str | None = None) -> list[bytes]:
    closed = []

    async def source():
        try:
            for event in events:
                yield event
            if failure is not None:
                raise failure
        finally:
            closed.append(True)

    async def collect() -> list[bytes]:
        return [frame async for frame in event_frames(ProviderStream(chunks=source()), CALL, response_model)]

    frames = asyncio.run(collect())
    assert closed, "the upstream events were not closed"
    return frames


def parsed(frame: bytes) -> tuple[str, dict]:
    event_line, data_line = frame.decode().strip().split("\n")
    return event_line.removeprefix("event: "), orjson.loads(data_line.removeprefix("data: "))


def test_each_event_is_framed_with_its_type_and_there_is_no_done_marker():
    events = [{"type": "response.created", "sequence_number": 0, "response": {"model": "gpt-4.1-2025"}},
              {"type": "response.output_text.delta", "sequence_number": 1, "delta": "hi"}]

    frames = frames_of(events, response_model="gpt-4.1")

    assert [parsed(frame)[0] for frame in frames] == ["response.created", "response.output_text.delta"]
    assert parsed(frames[0])[1]["response"]["model"] == "gpt-4.1"
    assert all(b"[DONE]" not in frame for frame in frames)


def test_a_failure_after_the_stream_started_is_an_error_event_with_the_next_sequence_number():
    events = [{"type": "response.created", "sequence_number": 0, "response": {}},
              {"type": "response.output_text.delta", "sequence_number": 1, "delta": "hi"}]

    frames = frames_of(events, failure=ProviderError("litellm.InternalServerError: upstream broke", status=500,
                                                       deployment_id="d-1"))

    kind, error = parsed(frames[-1])
    assert kind == "error"
    assert error == {"type": "error", "code": "500", "message": "litellm.InternalServerError: upstream broke",
                     "param": None, "sequence_number": 2}


def test_an_unexpected_failure_is_reported_without_a_traceback():
    frames = frames_of([], failure=ValueError("secret internals"))

    kind, error = parsed(frames[-1])
    assert kind == "error" and error["code"] == "502"
    assert "secret internals" not in error["message"]
