"""Chat completions through the gateway with the official openai SDK."""
import openai
import pytest

from tests.conftest import MASTER_KEY


def test_it_proxies_a_chat_completion_to_the_openai_deployment(client, upstream):
    answer = client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hello there"}])

    assert answer.choices[0].message.content == "Hello from the fake upstream."
    assert answer.model == "gpt-4.1"
    assert answer.usage.prompt_tokens == 2 and answer.usage.completion_tokens == 5
    sent = upstream.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {upstream.api_key}"
    assert sent.body["messages"] == [{"role": "user", "content": "hello there"}]


def test_it_never_sends_the_clients_key_upstream(client, upstream):
    client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])

    assert MASTER_KEY not in str(upstream.requests[-1].headers)


def test_it_answers_with_the_deployment_headers(client):
    raw = client.chat.completions.with_raw_response.create(model="gpt-4.1",
                                                           messages=[{"role": "user", "content": "hi"}])

    assert raw.headers["x-litellm-model-group"] == "gpt-4.1"
    assert len(raw.headers["x-litellm-model-id"]) == 16
    assert raw.headers["x-litellm-call-id"]
    assert raw.headers["x-litellm-model-api-base"].endswith("/v1")


def test_it_serves_a_model_group_alias(client, upstream):
    answer = client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])

    assert answer.choices[0].message.content == "Hello from the fake upstream."
    assert upstream.requests[-1].body["model"] == "gpt-4.1"


def test_it_forwards_tools_and_openai_parameters(client, upstream):
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]

    client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}], tools=tools,
                                   temperature=0.2, max_tokens=10, user="jira-agent")

    body = upstream.requests[-1].body
    assert body["tools"] == tools
    assert body["temperature"] == 0.2 and body["max_tokens"] == 10 and body["user"] == "jira-agent"


def test_it_keeps_gateway_fields_away_from_the_provider(client, upstream):
    client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}],
                                   extra_body={"metadata": {"workflow": "w1"}, "tags": ["n8n"]})

    body = upstream.requests[-1].body
    assert "metadata" not in body and "tags" not in body


def test_it_answers_mock_response_without_calling_the_provider(client, upstream):
    answer = client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}],
                                            extra_body={"mock_response": "canned"})

    assert answer.choices[0].message.content == "canned"
    assert upstream.requests == []


def test_mock_response_can_ask_for_a_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}],
                                       extra_body={"mock_response": "litellm.RateLimitError"})


def test_the_mock_provider_echoes_offline(client):
    answer = client.chat.completions.create(model="mock-gpt", messages=[{"role": "user", "content": "ping pong"}])

    assert answer.choices[0].message.content == "ping pong"
    assert answer.usage.total_tokens == 4


def test_it_serves_text_completions(client, upstream):
    answer = client.completions.create(model="gpt-4.1", prompt="Say hi")

    assert answer.choices[0].text == "Hello from the fake upstream."
    assert upstream.requests[-1].path == "/v1/completions"


def test_it_serves_embeddings_in_the_sdks_base64_format(client, upstream):
    answer = client.embeddings.create(model="text-embedding-3-small", input=["one", "two"])

    assert len(answer.data) == 2 and len(answer.data[0].embedding) == 8
    assert upstream.requests[-1].body["encoding_format"] == "base64"


def test_models_lists_the_groups_and_visible_aliases(client):
    names = [model.id for model in client.models.list()]

    assert names[:3] == ["gpt-4.1", "text-embedding-3-small", "slow-model"]
    assert "gpt-4" in names and "mock-gpt" in names


def test_routes_without_v1_work_too(http):
    answer = http.post("/chat/completions", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                       json={"model": "mock-gpt", "messages": [{"role": "user", "content": "x"}]})

    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"] == "x"
