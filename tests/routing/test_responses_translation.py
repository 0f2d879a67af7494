"""routing/providers/responses/: Responses API bodies as chat bodies, and chat
answers and chunk streams back as Response objects and Responses events."""
from __future__ import annotations

import asyncio
import copy
import json

import pytest

from gateway.errors import BadRequest
from routing.providers.responses.events import events_from_chat
from routing.providers.responses.reply import new_response_id, response_from_chat, usage_from_chat
from routing.providers.responses.request import to_chat_body

WEATHER_TOOL = {"type": "function", "name": "get_weather", "description": "Current weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                               "required": ["city"]},
                "strict": None}
N8N_QUESTION = {"type": "message", "role": "user", "content": "What is the weather in Paris?"}
N8N_TURN_1 = {"model": "llama3", "stream": False, "text": {}, "input": [N8N_QUESTION], "tools": [WEATHER_TOOL]}
N8N_TURN_2 = {**N8N_TURN_1, "input": [
    N8N_QUESTION,
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "18C"},
]}
CHAT_WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city", "parameters": WEATHER_TOOL["parameters"]}}


def rejection(body: dict) -> BadRequest:
    with pytest.raises(BadRequest) as caught:
        to_chat_body(body)
    assert caught.value.status == 400
    return caught.value


# --- requests ---------------------------------------------------------------

def test_n8n_first_turn_becomes_a_user_message_and_a_function_tool():
    assert to_chat_body(N8N_TURN_1) == {
        "model": "llama3", "stream": False,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": [CHAT_WEATHER_TOOL],
    }


def test_n8n_second_turn_replays_the_tool_call_and_its_result():
    assert to_chat_body(N8N_TURN_2)["messages"] == [
        {"role": "user", "content": "What is the weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function",
             "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]


def test_translating_does_not_change_the_request():
    body = copy.deepcopy(N8N_TURN_2)

    to_chat_body(body)

    assert body == N8N_TURN_2


def test_a_string_input_is_one_user_message_after_the_instructions():
    chat = to_chat_body({"model": "m", "instructions": "Be brief.", "input": "Hi"})

    assert chat["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def test_text_parts_are_joined_and_developer_becomes_system():
    chat = to_chat_body({"model": "m", "input": [
        {"role": "developer", "content": [{"type": "input_text", "text": "Rule one."},
                                          {"type": "input_text", "text": "Rule two."}]},
        {"role": "assistant", "content": [{"type": "output_text", "text": "Sure."},
                                          {"type": "refusal", "refusal": "Not that."}]},
    ]})

    assert chat["messages"] == [{"role": "system", "content": "Rule one.\nRule two."},
                                {"role": "assistant", "content": "Sure.\nNot that."}]


def test_images_and_inline_files_keep_their_parts():
    chat = to_chat_body({"model": "m", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "What is this?"},
        {"type": "input_image", "image_url": "https://example.com/cat.png", "detail": "low"},
        {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
        {"type": "input_file", "file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"},
    ]}]})

    assert chat["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"}},
    ]


def test_parallel_calls_share_one_assistant_turn_with_the_text_before_them():
    chat = to_chat_body({"model": "m", "input": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "opaque"},
        {"type": "message", "role": "assistant", "content": "Checking both."},
        {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}"},
        {"type": "function_call", "call_id": "call_2", "name": "get_weather", "arguments": "{\"city\":\"Rome\"}"},
        {"type": "function_call_output", "call_id": "call_1", "output": [{"type": "input_text", "text": "18C"}]},
        {"type": "function_call_output", "call_id": "call_2", "output": "21C"},
    ]})

    assistant = chat["messages"][1]
    assert assistant["content"] == "Checking both."
    assert [call["id"] for call in assistant["tool_calls"]] == ["call_1", "call_2"]
    assert chat["messages"][2:] == [{"role": "tool", "tool_call_id": "call_1", "content": "18C"},
                                    {"role": "tool", "tool_call_id": "call_2", "content": "21C"}]


def test_json_schema_format_becomes_a_chat_response_format():
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    chat = to_chat_body({"model": "m", "input": "Paris?", "text": {
        "format": {"type": "json_schema", "name": "place", "schema": schema, "strict": True}, "verbosity": "low"}})

    assert chat["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "place", "schema": schema, "strict": True}}
    assert chat["verbosity"] == "low"


def test_settings_are_renamed_or_passed_through():
    chat = to_chat_body({
        "model": "m", "input": "Hi", "stream": True, "max_output_tokens": 50, "temperature": 0.2, "top_p": None,
        "tool_choice": {"type": "function", "name": "get_weather"}, "reasoning": {"effort": "low", "summary": None},
        "text": {"format": {"type": "json_object"}}, "top_logprobs": 2, "include": ["reasoning.encrypted_content"],
        "store": False, "metadata": {"a": "b"}, "truncation": "disabled", "background": False,
        "previous_response_id": None, "user": "u-1",
    })

    assert chat == {
        "model": "m", "messages": [{"role": "user", "content": "Hi"}], "stream": True,
        "stream_options": {"include_usage": True}, "max_tokens": 50, "temperature": 0.2, "user": "u-1",
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}}, "reasoning_effort": "low",
        "response_format": {"type": "json_object"}, "logprobs": True, "top_logprobs": 2,
    }


@pytest.mark.parametrize("body, param", [
    ({"model": "m"}, "input"),
    ({"model": "m", "input": 3}, "input"),
    ({"model": "m", "input": ["hi"]}, "input[0]"),
    ({"model": "m", "input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type"),
    ({"model": "m", "input": [N8N_QUESTION, {"type": "web_search_call", "id": "ws_1"}]}, "input[1].type"),
    ({"model": "m", "input": [{"role": "tool", "content": "x"}]}, "input[0].role"),
    ({"model": "m", "input": [{"role": "user", "content": [{"type": "input_image", "file_id": "file-1"}]}]},
     "input[0].content[0].file_id"),
    ({"model": "m", "input": [{"role": "user", "content": [{"type": "input_file", "file_url": "https://x/a.pdf"}]}]},
     "input[0].content[0].file_url"),
    ({"model": "m", "input": [{"role": "user", "content": [{"type": "input_audio"}]}]}, "input[0].content[0].type"),
    ({"model": "m", "input": [{"type": "function_call", "call_id": "c", "name": "f"}]}, "input[0].arguments"),
    ({"model": "m", "input": "x", "tools": [WEATHER_TOOL, {"type": "web_search"}]}, "tools[1].type"),
    ({"model": "m", "input": "x", "tool_choice": {"type": "file_search"}}, "tool_choice"),
    ({"model": "m", "input": "x", "text": {"format": {"type": "grammar"}}}, "text.format.type"),
    ({"model": "m", "input": "x", "reasoning": {"effort": "low", "summary": "auto"}}, "reasoning.summary"),
    ({"model": "m", "input": "x", "include": ["reasoning.encrypted_content", "file_search_call.results"]},
     "include[1]"),
    ({"model": "m", "input": "x", "truncation": "auto"}, "truncation"),
    ({"model": "m", "input": "x", "background": True}, "background"),
    ({"model": "m", "input": "x", "previous_response_id": "resp_1"}, "previous_response_id"),
    ({"model": "m", "input": "x", "conversation": "conv_1"}, "conversation"),
    ({"model": "m", "input": "x", "prompt": {"id": "pmpt_1"}}, "prompt"),
    ({"model": "m", "input": "x", "max_tool_calls": 3}, "max_tool_calls"),
    ({"model": "m", "input": "x", "frequency_penalty": 1}, "frequency_penalty"),
])
def test_what_chat_cannot_express_is_a_400_naming_the_field(body, param):
    assert rejection(body).param == param


def test_a_built_in_tool_is_refused_in_words_the_client_can_act_on():
    error = rejection({"model": "m", "input": "x", "tools": [WEATHER_TOOL, {"type": "web_search"}]})

    assert error.message == ("tools[1].type: 'web_search' is a built-in tool that deployments speaking only "
                             "chat completions cannot run")


# --- replies ----------------------------------------------------------------

def chat_completion(message: dict, finish_reason: str = "stop") -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "llama3",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                      "prompt_tokens_details": {"cached_tokens": 4}}}


def test_a_text_answer_is_one_completed_message():
    response = response_from_chat(chat_completion({"content": "Hello!"}), N8N_TURN_1, "resp_1")

    assert response["id"] == "resp_1" and response["object"] == "response"
    assert response["status"] == "completed" and response["incomplete_details"] is None
    assert response["model"] == "llama3" and response["created_at"] == 1700000000
    [item] = response["output"]
    assert item["type"] == "message" and item["id"].startswith("msg_") and item["status"] == "completed"
    assert item["content"] == [{"type": "output_text", "text": "Hello!", "annotations": []}]
    assert response["usage"] == {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 4},
                                 "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
                                 "total_tokens": 15}


def test_the_response_echoes_the_request_settings_with_openai_defaults():
    response = response_from_chat(chat_completion({"content": "Hi"}), N8N_TURN_1, "resp_1")

    assert response["tools"] == [WEATHER_TOOL]
    assert response["text"] == {"format": {"type": "text"}}
    assert (response["temperature"], response["top_p"], response["tool_choice"]) == (1.0, 1.0, "auto")
    assert response["store"] is True and response["parallel_tool_calls"] is True
    assert response["reasoning"] == {"effort": None, "summary": None} and response["metadata"] == {}


def test_tool_calls_become_function_call_items_after_the_text():
    completion = chat_completion({"content": "Checking.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
        {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Rome\"}"}},
    ]}, finish_reason="tool_calls")

    output = response_from_chat(completion, N8N_TURN_1, "resp_1")["output"]

    assert [item["type"] for item in output] == ["message", "function_call", "function_call"]
    assert output[1]["id"].startswith("fc_")
    assert {key: output[1][key] for key in ("call_id", "name", "arguments", "status")} == {
        "call_id": "call_1", "name": "get_weather", "arguments": "{\"city\":\"Paris\"}", "status": "completed"}


def test_only_tool_calls_means_no_message_item():
    completion = chat_completion({"content": None, "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]})

    assert [item["type"] for item in response_from_chat(completion, N8N_TURN_1, "r")["output"]] == ["function_call"]


def test_a_refusal_is_a_refusal_part():
    output = response_from_chat(chat_completion({"content": None, "refusal": "I can't."}), {}, "r")["output"]

    assert output[0]["content"] == [{"type": "refusal", "refusal": "I can't."}]


def test_an_answer_cut_at_the_token_limit_is_incomplete():
    response = response_from_chat(chat_completion({"content": "Once upon"}, finish_reason="length"),
                                  {"input": "x", "max_output_tokens": 2}, "r")

    assert response["status"] == "incomplete"
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["max_output_tokens"] == 2


def test_ids_look_like_openai_ids():
    assert new_response_id().startswith("resp_") and len(new_response_id()) == len("resp_") + 48
    assert usage_from_chat(None) is None


# --- streams ----------------------------------------------------------------

class ChunkSource:
    """An upstream chunk stream that records when it was pulled and closed."""

    def __init__(self, chunks: list[dict], log: list[str] | None = None) -> None:
        self.chunks = list(chunks)
        self.log = log if log is not None else []
        self.is_closed = False

    def __aiter__(self) -> ChunkSource:
        return self

    async def __anext__(self) -> dict:
        if not self.chunks:
            raise StopAsyncIteration
        self.log.append("pulled")
        return self.chunks.pop(0)

    async def aclose(self) -> None:
        self.is_closed = True


def chunk(delta: dict | None = None, finish_reason: str | None = None, usage: dict | None = None) -> dict:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "llama3",
            "choices": choices, "usage": usage}


def collect(chunks: list[dict], request: dict) -> list[dict]:
    async def run() -> list[dict]:
        return [event async for event in events_from_chat(ChunkSource(chunks), request, "resp_1")]
    return asyncio.run(run())


USAGE = {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}


def test_a_text_stream_follows_openais_event_order():
    events = collect([chunk({"role": "assistant", "content": ""}), chunk({"content": "Hel"}),
                      chunk({"content": "lo"}), chunk({}, finish_reason="stop"), chunk(usage=USAGE)],
                     {"model": "llama3", "input": "Hi", "stream": True})

    assert [event["type"] for event in events] == [
        "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
        "response.content_part.done", "response.output_item.done", "response.completed"]
    assert [event["sequence_number"] for event in events] == list(range(len(events)))
    assert events[0]["response"]["status"] == "in_progress" and events[0]["response"]["output"] == []
    assert [event["delta"] for event in events if event["type"] == "response.output_text.delta"] == ["Hel", "lo"]
    assert events[6]["text"] == "Hello"
    completed = events[-1]["response"]
    assert completed["status"] == "completed" and completed["model"] == "llama3"
    assert completed["output"][0]["content"] == [{"type": "output_text", "text": "Hello", "annotations": []}]
    assert completed["output"][0]["status"] == "completed"
    assert completed["usage"]["total_tokens"] == 9


def test_a_tool_call_stream_opens_a_function_call_item_and_streams_its_arguments():
    events = collect([
        chunk({"role": "assistant", "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
        chunk({}, finish_reason="tool_calls"),
    ], N8N_TURN_1)

    assert [event["type"] for event in events] == [
        "response.created", "response.in_progress", "response.output_item.added",
        "response.function_call_arguments.delta", "response.function_call_arguments.delta",
        "response.function_call_arguments.done", "response.output_item.done", "response.completed"]
    added = events[2]["item"]
    assert added["type"] == "function_call" and added["call_id"] == "call_1" and added["name"] == "get_weather"
    assert added["arguments"] == "" and added["status"] == "in_progress"
    done = events[5]
    assert done["arguments"] == "{\"city\":\"Paris\"}" and done["name"] == "get_weather"
    assert done["item_id"] == added["id"]
    [item] = events[-1]["response"]["output"]
    assert json.loads(item["arguments"]) == {"city": "Paris"} and item["status"] == "completed"


def test_text_then_two_calls_get_output_indexes_in_order_of_appearance():
    events = collect([
        chunk({"content": "Checking."}),
        chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": {"name": "a", "arguments": "{}"}},
                              {"index": 1, "id": "call_2", "function": {"name": "b", "arguments": "{}"}}]}),
    ], {"input": "x"})

    output = events[-1]["response"]["output"]
    assert [(item["type"], item.get("name")) for item in output] == [("message", None), ("function_call", "a"),
                                                                     ("function_call", "b")]
    added = [event["output_index"] for event in events if event["type"] == "response.output_item.added"]
    assert added == [0, 1, 2]


def test_a_stream_cut_at_the_token_limit_ends_incomplete():
    events = collect([chunk({"content": "Once"}), chunk({}, finish_reason="length")], {"input": "x"})

    assert events[-1]["type"] == "response.incomplete"
    assert events[-1]["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_the_first_event_waits_for_the_first_upstream_chunk():
    log: list[str] = []

    async def run() -> None:
        events = events_from_chat(ChunkSource([chunk({"content": "Hi"})], log), {"input": "x"}, "resp_1")
        log.append("asked for first event")
        first = await anext(events)
        log.append(first["type"])
        await events.aclose()

    asyncio.run(run())

    assert log == ["asked for first event", "pulled", "response.created"]


def test_closing_the_event_stream_early_closes_the_upstream():
    source = ChunkSource([chunk({"content": "Hi"}), chunk({"content": " there"})])

    async def run() -> None:
        events = events_from_chat(source, {"input": "x"}, "resp_1")
        await anext(events)
        await events.aclose()

    asyncio.run(run())

    assert source.is_closed


def test_the_upstream_is_closed_after_a_full_stream_too():
    source = ChunkSource([chunk({"content": "Hi"})])

    async def run() -> None:
        async for _ in events_from_chat(source, {"input": "x"}, "resp_1"):
            pass

    asyncio.run(run())

    assert source.is_closed
