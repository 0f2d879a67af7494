"""Azure-style routes, as AzureOpenAI() and n8n's Azure OpenAI credential call them."""
import pytest

from tests.conftest import AZURE_API_VERSION, MASTER_KEY


def test_azure_client_reaches_an_azure_deployment(azure_client, upstream):
    answer = azure_client.chat.completions.create(model="azure-gpt", messages=[{"role": "user", "content": "hi"}])

    assert answer.choices[0].message.content == "Hello from the fake upstream."
    sent = upstream.requests[-1]
    assert sent.path == "/openai/deployments/gpt-4.1-deployment/chat/completions"
    assert sent.query["api-version"] == AZURE_API_VERSION
    assert sent.headers["api-key"] == upstream.api_key
    assert "authorization" not in sent.headers


def test_azure_client_reaches_an_openai_deployment_by_group_name(azure_client, upstream):
    answer = azure_client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])

    assert answer.model == "gpt-4.1"
    assert upstream.requests[-1].path == "/v1/chat/completions"


def test_the_client_api_version_is_ignored_for_the_upstream(http, upstream):
    answer = http.post("/openai/deployments/azure-gpt/chat/completions?api-version=1999-01-01",
                       headers={"api-key": MASTER_KEY},
                       json={"messages": [{"role": "user", "content": "hi"}]})

    assert answer.status_code == 200
    assert upstream.requests[-1].query["api-version"] == AZURE_API_VERSION


def test_the_deployment_in_the_path_beats_the_body_model(http, upstream):
    answer = http.post(f"/openai/deployments/azure-gpt/chat/completions?api-version={AZURE_API_VERSION}",
                       headers={"api-key": MASTER_KEY},
                       json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})

    assert answer.json()["model"] == "azure-gpt"
    assert upstream.requests[-1].path.startswith("/openai/deployments/gpt-4.1-deployment/")


def test_azure_embeddings(azure_client, upstream):
    answer = azure_client.embeddings.create(model="azure-embedding", input="hello")

    assert len(answer.data[0].embedding) == 8
    assert upstream.requests[-1].path == "/openai/deployments/embedding-deployment/embeddings"


def test_azure_streaming(azure_client):
    stream = azure_client.chat.completions.create(model="azure-gpt", stream=True,
                                                  messages=[{"role": "user", "content": "hi"}])

    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Hello from the fake upstream."


@pytest.mark.parametrize("route", ["completions", "embeddings"])
def test_azure_routes_for_other_call_types_exist(http, route):
    body = {"prompt": "hi"} if route == "completions" else {"input": "hi"}

    answer = http.post(f"/openai/deployments/mock-gpt/{route}?api-version={AZURE_API_VERSION}",
                       headers={"api-key": MASTER_KEY}, json=body)

    assert answer.status_code == 200
