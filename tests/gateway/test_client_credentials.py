"""Client-side credentials (general_settings.allow_client_side_credentials): a
client api_base needs the client's own api_key and never carries the
deployment's key, headers or organization; hosts that resolve to private or
loopback addresses are refused unless listed in user_url_allowed_hosts."""
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import MASTER_KEY
from tests.routing.scenarios import chat, served_by

DEPLOYMENT_KEY = "sk-deployment-secret"


def config(upstream, **general_settings) -> dict:
    """gpt-4.1: a deployment whose secrets must stay home; two: a group of two
    deployments on the fake upstream. Ids unique to each test: cooldowns may
    live in a Redis shared by the whole run."""
    run = uuid.uuid4().hex[:8]
    secret = {"model": "openai/gpt-4.1", "api_base": "https://provider.invalid/v1", "api_key": DEPLOYMENT_KEY,
              "organization": "org-secret", "headers": {"x-deployment-secret": "s3cret"},
              "extra_body": {"deployment_only": "secret"}}
    return {"model_list": [{"model_name": "gpt-4.1", "litellm_params": secret, "model_info": {"id": f"secret-{run}"}},
                           *({"model_name": "two", "model_info": {"id": f"two-{name}-{run}"}, "litellm_params": {
                               "model": f"openai/two-{name}", "api_base": upstream.openai_base,
                               "api_key": upstream.api_key}} for name in ("a", "b"))],
            "router_settings": {"num_retries": 1, "allowed_fails": 0, "cooldown_time": 60},
            "general_settings": {"allow_client_side_credentials": True, **general_settings}}


def upstream_host(upstream) -> str:
    return urlsplit(upstream.url).netloc


def test_a_client_api_base_without_the_clients_own_api_key_is_refused(upstream, start_gateway):
    gateway = start_gateway(config(upstream, user_url_allowed_hosts=[upstream_host(upstream)]))

    answer = chat(gateway, "gpt-4.1", api_base=upstream.openai_base)
    by_base_url = chat(gateway, "gpt-4.1", base_url=upstream.openai_base, api_key="")

    assert answer.status_code == 400 and answer.json()["error"]["param"] == "api_key"
    assert by_base_url.status_code == 400 and by_base_url.json()["error"]["param"] == "api_key"
    assert upstream.requests == [], "the deployment's key went to the client's host"


def test_a_client_api_base_carries_only_the_clients_own_credentials(upstream, start_gateway):
    gateway = start_gateway(config(upstream, user_url_allowed_hosts=[upstream_host(upstream)]))

    answer = chat(gateway, "gpt-4.1", api_base=upstream.openai_base, api_key=upstream.api_key,
                  extra_headers={"x-client": "mine"})

    assert answer.status_code == 200
    sent = upstream.requests[-1]
    assert sent.headers["authorization"] == f"Bearer {upstream.api_key}"
    assert sent.headers["x-client"] == "mine"
    assert "x-deployment-secret" not in sent.headers and "openai-organization" not in sent.headers
    assert "deployment_only" not in sent.body
    assert DEPLOYMENT_KEY not in str(sent.headers) and "s3cret" not in str(sent.headers)


@pytest.mark.parametrize("api_base", ["http://127.0.0.1:6379", "http://localhost:6379/v1", "http://[::1]:6379",
                                      "http://169.254.169.254/latest", "http://10.0.0.7/v1"])
def test_a_client_api_base_on_an_internal_host_is_refused(upstream, start_gateway, api_base):
    gateway = start_gateway(config(upstream))

    answer = chat(gateway, "gpt-4.1", api_base=api_base, api_key="sk-mine")

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "api_base"
    assert "user_url_allowed_hosts" in answer.json()["error"]["message"]


def test_the_internal_host_check_does_not_open_a_connection(upstream, start_gateway):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        gateway = start_gateway(config(upstream))

        answer = chat(gateway, "gpt-4.1", api_base=f"http://127.0.0.1:{port}/v1", api_key="sk-mine")

        assert answer.status_code == 400
        with pytest.raises(TimeoutError):
            listener.accept()


@pytest.mark.parametrize("field, value", [("api_base", "ftp://example.com"), ("api_base", 7),
                                          ("api_key", ["sk"]), ("api_key", "sk-a\r\nx-injected: 1"),
                                          ("extra_headers", {"x-a": 1}), ("extra_headers", "x-a: 1")])
def test_malformed_client_credentials_are_a_400_naming_the_field(upstream, start_gateway, field, value):
    gateway = start_gateway(config(upstream, user_url_allowed_hosts=[upstream_host(upstream)]))
    body = {"api_base": upstream.openai_base, "api_key": "sk-mine", field: value}

    answer = chat(gateway, "gpt-4.1", **body)

    assert answer.status_code == 400 and answer.json()["error"]["param"] == field


def test_failures_a_client_causes_with_its_own_credentials_never_cool_the_deployments(upstream, start_gateway):
    gateway = start_gateway(config(upstream))

    for _ in range(3):
        assert chat(gateway, "two", api_key="sk-wrong-client-key").status_code == 401
    answers = [httpx.post(f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                          json={"model": "two", "messages": [{"role": "user", "content": "hi"}]}, timeout=30)
               for _ in range(4)]

    assert [a.status_code for a in answers] == [200] * 4
    assert served_by(upstream).count("two-a") + served_by(upstream).count("two-b") == 3 * 2 + 4
