"""The Responses API end to end, with the openai SDK's `responses.create`:
passed through to deployments that speak it (OpenAI, Azure, a compatible server
that says so), translated to chat completions for the others, with stored
conversations, keys, limits and spend as for chat completions."""
from __future__ import annotations

import json
import uuid

import httpx
import openai
import pytest

from tests.clock import clear_of_minute_end
from tests.conftest import MASTER_KEY
from tests.fake_upstream import DEFAULT_TEXT
from tests.gateway_process import GatewayProcess
from tests.keys.helpers import admin, eventually, generate_key, sdk

PRICE = 0.0001
RESPONSES_API_VERSION = "2025-03-01-preview"
WEATHER_TOOL = {"type": "function", "name": "get_weather", "description": "The weather in a city",
                "parameters": {"type": "object", "properties": {"input": {"type": "string"}}}, "strict": None}

# Group -> the path the gateway calls upstream for it.
PASSED_THROUGH = {"gpt-4.1": "/v1/responses", "compat-native": "/v1/responses",
                  "azure-gpt": "/openai/responses", "azure-v1": "/openai/v1/responses"}
TRANSLATED = {"local-llm": "/v1/chat/completions", "openai-translated": "/v1/chat/completions"}
EVERY_KIND = {**PASSED_THROUGH, **TRANSLATED}


def config(upstream) -> dict:
    def deployment(group: str, model: str, api_base: str, **params) -> dict:
        model_info = params.pop("model_info", {})
        return {"model_name": group,
                "litellm_params": {"model": model, "api_base": api_base, "api_key": upstream.api_key,
                                   "input_cost_per_token": PRICE, "output_cost_per_token": PRICE, **params},
                # Ids of this run only: routing counters may live in a Redis shared by the whole run.
                "model_info": {"id": f"{group}-{uuid.uuid4().hex[:8]}", **model_info}}

    return {
        "model_list": [
            deployment("gpt-4.1", "openai/gpt-4.1", upstream.openai_base),
            deployment("compat-native", "hosted_vllm/compat-native", upstream.openai_base,
                       model_info={"supported_endpoints": ["/v1/chat/completions", "/v1/responses"]}),
            deployment("azure-gpt", "azure/gpt-4.1-deployment", upstream.url, api_version=RESPONSES_API_VERSION),
            deployment("azure-v1", "azure/gpt-4.1-v1", upstream.url, api_version="2024-10-21"),
            deployment("local-llm", "hosted_vllm/local-llm", upstream.openai_base),
            deployment("openai-translated", "openai/openai-translated", upstream.openai_base,
                       model_info={"supported_endpoints": ["/v1/chat/completions"]}),
            {"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}},
        ],
        "router_settings": {"num_retries": 0, "disable_cooldowns": True},
    }


@pytest.fixture(scope="module")
def gateway(upstream, tmp_path_factory):
    with GatewayProcess(config(upstream), tmp_path_factory.mktemp("responses"), master_key=MASTER_KEY) as process:
        yield process


@pytest.fixture
def client(gateway) -> openai.OpenAI:
    return sdk(gateway, MASTER_KEY)


def last_upstream_request(upstream):
    return [request for request in upstream.requests if request.body][-1]


def upstream_messages(request) -> list:
    """What the upstream got as the conversation, whichever API it was sent."""
    return request.body["messages"] if "messages" in request.body else request.body["input"]


@pytest.mark.parametrize("group", EVERY_KIND)
def test_a_response_is_served_by_every_kind_of_deployment(client, upstream, group):
    response = client.responses.create(model=group, input="Say hello", instructions="Be brief.",
                                       max_output_tokens=50)

    assert response.object == "response" and response.status == "completed"
    assert response.output_text == DEFAULT_TEXT
    assert response.model == group
    assert response.usage.input_tokens > 0 and response.usage.output_tokens == len(DEFAULT_TEXT.split())
    sent = last_upstream_request(upstream)
    assert sent.path == EVERY_KIND[group]
    if group in TRANSLATED:
        assert sent.body["messages"] == [{"role": "system", "content": "Be brief."},
                                         {"role": "user", "content": "Say hello"}]
        assert sent.body["max_tokens"] == 50 and "input" not in sent.body
    else:
        assert sent.body["input"] == "Say hello" and sent.body["max_output_tokens"] == 50


@pytest.mark.parametrize("group", EVERY_KIND)
def test_a_streamed_response_arrives_as_typed_events(client, group):
    events = list(client.responses.create(model=group, input="Say hello", stream=True))

    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert "".join(event.delta for event in events if event.type == "response.output_text.delta") == DEFAULT_TEXT
    completed = events[-1].response
    assert completed.output_text == DEFAULT_TEXT and completed.usage.output_tokens > 0
    assert completed.model == group
    assert [event.sequence_number for event in events] == sorted(event.sequence_number for event in events)


@pytest.mark.parametrize("group", EVERY_KIND)
def test_an_n8n_agent_calls_a_tool_and_answers_with_its_result(client, upstream, group):
    """n8n's AI Agent: the second turn repeats the whole input, then the
    function call and its output; no previous_response_id."""
    question = {"type": "message", "role": "user", "content": "What is the weather in Paris?"}

    first = client.responses.create(model=group, input=[question], tools=[WEATHER_TOOL], text={}, stream=False)

    [call] = first.output
    assert call.type == "function_call" and call.name == "get_weather"
    assert json.loads(call.arguments) == {"input": "What is the weather in Paris?"}
    second = client.responses.create(
        model=group, text={}, tools=[WEATHER_TOOL],
        input=[question,
               {"type": "function_call", "id": call.id, "call_id": call.call_id, "name": call.name,
                "arguments": call.arguments},
               {"type": "function_call_output", "call_id": call.call_id, "output": "18C and sunny"}])

    assert second.output_text == "Tool result: 18C and sunny"
    if group in TRANSLATED:
        sent = last_upstream_request(upstream).body
        assert sent["messages"][1]["tool_calls"][0]["id"] == call.call_id
        assert sent["messages"][2] == {"role": "tool", "tool_call_id": call.call_id, "content": "18C and sunny"}
        assert sent["tools"][0]["function"]["name"] == "get_weather"


@pytest.mark.parametrize("group", ["gpt-4.1", "azure-gpt", "local-llm"])
def test_a_streamed_tool_call_arrives_as_function_call_events(client, group):
    events = list(client.responses.create(model=group, input="Weather in Oslo?", tools=[WEATHER_TOOL],
                                          stream=True))

    arguments = "".join(event.delta for event in events if event.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"input": "Weather in Oslo?"}
    [call] = events[-1].response.output
    assert call.type == "function_call" and call.arguments == arguments and call.call_id


@pytest.mark.parametrize("group", ["gpt-4.1", "azure-gpt", "local-llm", "mock-gpt"])
def test_previous_response_id_continues_the_conversation(client, upstream, group):
    first = client.responses.create(model=group, input="My name is Ada.")
    second = client.responses.create(model=group, input="What is my name?", previous_response_id=first.id)

    assert second.previous_response_id == first.id and second.id != first.id
    if group == "mock-gpt":
        assert second.output_text == "What is my name?"
        return
    # The fake upstream refuses previous_response_id: the gateway sent the whole conversation instead.
    sent = last_upstream_request(upstream)
    assert "previous_response_id" not in sent.body
    conversation = upstream_messages(sent)
    assert [item["role"] for item in conversation] == ["user", "assistant", "user"]
    assert conversation[1]["content"] == first.output_text
    third = client.responses.create(model=group, input="And again?", previous_response_id=second.id)
    assert len(upstream_messages(last_upstream_request(upstream))) == 5 and third.output_text


def test_a_streamed_response_can_be_continued_at_once(client, upstream):
    events = list(client.responses.create(model="local-llm", input="Remember 42.", stream=True))
    first_id = events[-1].response.id

    second = client.responses.create(model="gpt-4.1", input="What number?", previous_response_id=first_id)

    assert second.previous_response_id == first_id
    assert [item["role"] for item in upstream_messages(last_upstream_request(upstream))] == \
        ["user", "assistant", "user"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_stored_response_reads_back_as_the_client_saw_it(client, stream):
    """azure-gpt's provider names its model gpt-4.1-deployment; the client saw the group."""
    if stream:
        created = list(client.responses.create(model="azure-gpt", input="Keep me.", stream=True))[-1].response
    else:
        created = client.responses.create(model="azure-gpt", input="Keep me.")

    fetched = client.responses.retrieve(created.id)

    assert fetched.model == created.model == "azure-gpt"
    assert fetched.output_text == created.output_text == DEFAULT_TEXT


def test_a_response_stored_with_store_false_cannot_be_continued(client):
    first = client.responses.create(model="gpt-4.1", input="Forget this.", store=False)

    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="gpt-4.1", input="What was it?", previous_response_id=first.id)
    assert caught.value.body["param"] == "previous_response_id"
    assert first.id in caught.value.body["message"]


def test_a_stored_response_belongs_to_the_key_that_created_it(gateway):
    owner = sdk(gateway, generate_key(gateway)["key"])
    stranger = sdk(gateway, generate_key(gateway)["key"])
    created = owner.responses.create(model="local-llm", input="Secret plans.")

    with pytest.raises(openai.NotFoundError):
        stranger.responses.create(model="local-llm", input="Tell me.", previous_response_id=created.id)
    with pytest.raises(openai.NotFoundError):
        stranger.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        stranger.responses.delete(created.id)

    fetched = owner.responses.retrieve(created.id)
    assert fetched.id == created.id and fetched.output_text == created.output_text
    items = owner.responses.input_items.list(created.id)
    assert [item.content[0].text if isinstance(item.content, list) else item.content for item in items.data] == \
        ["Secret plans."]
    owner.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError):
        owner.responses.retrieve(created.id)


@pytest.mark.parametrize("group", ["gpt-4.1", "local-llm"])
def test_spend_is_recorded_for_responses(gateway, group):
    key = generate_key(gateway, max_budget=10)
    raw = sdk(gateway, key["key"]).responses.with_raw_response.create(model=group, input="hello there")
    response = raw.parse()
    request_id = raw.headers["x-litellm-call-id"]
    expected = (response.usage.input_tokens + response.usage.output_tokens) * PRICE

    assert float(raw.headers["x-litellm-response-cost"]) == pytest.approx(expected)
    assert float(raw.headers["x-litellm-key-spend"]) == pytest.approx(expected)

    def logged() -> list:
        return admin(gateway, "/spend/logs", method="GET", params={"request_id": request_id}).json()

    assert eventually(lambda: len(logged()) == 1, seconds=5)
    [row] = logged()
    assert row["call_type"] == "responses" and row["model_group"] == group and row["api_key"] == key["token"]
    assert row["prompt_tokens"] == response.usage.input_tokens
    assert row["completion_tokens"] == response.usage.output_tokens
    assert row["spend"] == pytest.approx(expected)


def test_a_streamed_response_is_charged_from_its_final_usage(gateway):
    key = generate_key(gateway)
    events = list(sdk(gateway, key["key"]).responses.create(model="local-llm", input="hello there", stream=True))
    usage = events[-1].response.usage
    expected = (usage.input_tokens + usage.output_tokens) * PRICE

    def key_spend() -> float:
        return admin(gateway, "/key/info", method="GET", params={"key": key["token"]}).json()["info"]["spend"]

    assert eventually(lambda: key_spend() == pytest.approx(expected), seconds=5)


def test_key_limits_and_model_access_apply(gateway):
    limited = sdk(gateway, generate_key(gateway, rpm_limit=1)["key"])
    clear_of_minute_end()
    limited.responses.create(model="gpt-4.1", input="one")
    with pytest.raises(openai.RateLimitError):
        limited.responses.create(model="gpt-4.1", input="two")

    narrow = sdk(gateway, generate_key(gateway, models=["gpt-4.1"])["key"])
    with pytest.raises((openai.AuthenticationError, openai.PermissionDeniedError)):
        narrow.responses.create(model="local-llm", input="hi")


def test_a_spent_budget_refuses_responses(gateway):
    client = sdk(gateway, generate_key(gateway, max_budget=0.0001)["key"])
    client.responses.create(model="gpt-4.1", input="hello")  # costs more than the whole budget

    def refused() -> bool:
        try:
            client.responses.create(model="local-llm", input="hello")
        except openai.APIStatusError as error:
            return error.body["type"] == "budget_exceeded"
        return False

    assert eventually(refused, seconds=5)


def test_a_built_in_tool_is_refused_by_a_translated_deployment_and_named(client, upstream):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="local-llm", input="news?", tools=[{"type": "web_search"}])

    assert caught.value.body["param"] == "tools[0].type"
    assert "web_search" in caught.value.body["message"]
    assert not [request for request in upstream.requests if request.body]


def test_azure_clients_reach_the_responses_routes(gateway):
    azure = openai.AzureOpenAI(azure_endpoint=gateway.url, api_key=MASTER_KEY, api_version=RESPONSES_API_VERSION,
                               max_retries=0, timeout=20)
    v1 = openai.OpenAI(base_url=f"{gateway.url}/openai/v1", api_key=MASTER_KEY, max_retries=0, timeout=20)

    assert azure.responses.create(model="azure-gpt", input="hi").output_text == DEFAULT_TEXT
    assert v1.responses.create(model="local-llm", input="hi").output_text == DEFAULT_TEXT
    answer = httpx.post(f"{gateway.url}/responses", headers={"api-key": MASTER_KEY}, timeout=20,
                        json={"model": "mock-gpt", "input": "plain route"})
    assert answer.status_code == 200 and answer.json()["output"][0]["content"][0]["text"] == "plain route"


def test_an_upstream_failure_keeps_the_openai_error_shape(client, upstream):
    upstream.set_behaviour("gpt-4.1", kind="status", status=429)
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model="gpt-4.1", input="hi")
    assert set(caught.value.body) == {"message", "type", "param", "code"}


@pytest.mark.parametrize("body, param", [
    ({"model": "gpt-4.1"}, "input"),
    ({"model": "gpt-4.1", "input": 7}, "input"),
    ({"model": "gpt-4.1", "input": ["hi"]}, "input[0]"),
    ({"model": "gpt-4.1", "input": "hi", "max_output_tokens": "many"}, "max_output_tokens"),
    ({"model": "gpt-4.1", "input": "hi", "background": True}, "background"),
])
def test_bad_requests_name_the_field(gateway, upstream, body, param):
    answer = httpx.post(f"{gateway.url}/v1/responses", json=body, timeout=20,
                        headers={"Authorization": f"Bearer {MASTER_KEY}"})

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param
    assert not upstream.requests


def test_mock_response_answers_a_responses_call_without_the_provider(client, upstream):
    response = client.responses.create(model="gpt-4.1", input="hi", extra_body={"mock_response": "mocked"})

    assert response.output_text == "mocked"
    assert not [request for request in upstream.requests if request.body]


def test_stored_turns_expire_after_the_configured_time(upstream, start_gateway):
    gateway = start_gateway({**config(upstream), "general_settings": {"responses_ttl": 1}})
    client = sdk(gateway, MASTER_KEY)
    first = client.responses.create(model="mock-gpt", input="short-lived")
    client.responses.retrieve(first.id)

    def expired() -> bool:
        try:
            client.responses.retrieve(first.id)
        except openai.NotFoundError:
            return True
        return False

    assert eventually(expired, seconds=5)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="mock-gpt", input="again", previous_response_id=first.id)
