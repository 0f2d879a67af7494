"""Every failure is OpenAI-shaped JSON with the status a LiteLLM client expects."""
import openai
import pytest

from tests.conftest import MASTER_KEY, auth

CHAT = {"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]}


def assert_openai_error(answer, status: int, *, error_type: str | None = None, param: str | None = None) -> dict:
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == str(status)
    if error_type:
        assert error["type"] == error_type
    if param:
        assert error["param"] == param
    return error


def test_a_missing_key_is_401(http):
    error = assert_openai_error(http.post("/v1/chat/completions", json=CHAT), 401, error_type="auth_error")
    assert error["message"] == "Authentication Error, No api key passed in."


def test_a_wrong_key_is_401_and_the_sdk_sees_an_authentication_error(gateway):
    bad = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(**CHAT)


def test_an_authorization_header_without_bearer_is_malformed(http):
    error = assert_openai_error(http.post("/v1/chat/completions", json=CHAT,
                                          headers={"Authorization": MASTER_KEY}), 401)
    assert "Bearer " in error["message"]


def test_a_key_not_starting_with_sk_is_named_masked(http):
    error = assert_openai_error(http.post("/v1/chat/completions", json=CHAT, headers=auth("abcd-secret-wxyz")), 401)
    assert "abcd****wxyz" in error["message"] and "secret" not in error["message"]


@pytest.mark.parametrize("header", ["x-litellm-api-key", "api-key", "x-api-key", "Ocp-Apim-Subscription-Key"])
def test_the_key_is_accepted_in_each_litellm_header(http, header):
    assert http.post("/v1/chat/completions", json={**CHAT, "model": "mock-gpt"},
                     headers={header: MASTER_KEY}).status_code == 200


def test_x_litellm_api_key_wins_over_authorization(http):
    answer = http.post("/v1/chat/completions", json={**CHAT, "model": "mock-gpt"},
                       headers={"x-litellm-api-key": MASTER_KEY, "Authorization": "Bearer sk-wrong"})
    assert answer.status_code == 200


def test_an_unknown_model_is_400_listing_the_available_ones(http):
    error = assert_openai_error(http.post("/v1/chat/completions", json={**CHAT, "model": "gpt-9"}, headers=auth()),
                                400, param="model")
    assert "model=gpt-9" in error["message"] and "gpt-4.1" in error["message"]


def test_an_unknown_model_raises_bad_request_in_the_sdk(client):
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "hi"}])


def test_malformed_json_is_400(http):
    error = assert_openai_error(http.post("/v1/chat/completions", content=b"{not json", headers=auth()), 400)
    assert error["message"].startswith("Invalid JSON payload")


def test_a_json_array_body_is_400(http):
    assert_openai_error(http.post("/v1/chat/completions", content=b"[1,2]", headers=auth()), 400)


def test_an_empty_body_is_400(http):
    assert_openai_error(http.post("/v1/chat/completions", headers=auth()), 400)


def test_a_multipart_body_is_400(http):
    assert_openai_error(http.post("/v1/chat/completions", files={"file": b"x"}, headers=auth()), 400)


def test_a_form_encoded_json_body_is_still_read(http):
    # curl -d sends application/x-www-form-urlencoded; LiteLLM reads the JSON anyway.
    answer = http.post("/v1/chat/completions", content=b'{"model":"mock-gpt","messages":[{"role":"user","content":"a"}]}',
                       headers={**auth(), "content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200


@pytest.mark.parametrize("body, param", [
    ({"messages": [{"role": "user", "content": "hi"}]}, "model"),
    ({"model": "gpt-4.1"}, "messages"),
    ({"model": "gpt-4.1", "messages": []}, "messages"),
    ({"model": "gpt-4.1", "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
    ({"model": "gpt-4.1", "messages": ["hi"]}, "messages[0]"),
    ({**CHAT, "temperature": "hot"}, "temperature"),
    ({**CHAT, "max_tokens": 1.5}, "max_tokens"),
    ({**CHAT, "stream": "yes"}, "stream"),
    ({**CHAT, "model": 42}, "model"),
])
def test_a_bad_field_is_400_naming_it(http, upstream, body, param):
    error = assert_openai_error(http.post("/v1/chat/completions", json=body, headers=auth()), 400, param=param)
    assert param.split("[")[0] in error["message"]
    assert upstream.requests == []


def test_embeddings_need_input(http):
    assert_openai_error(http.post("/v1/embeddings", json={"model": "text-embedding-3-small"}, headers=auth()), 400,
                        param="input")


@pytest.mark.parametrize("field", ["api_base", "base_url", "api_key", "extra_headers"])
def test_a_client_cannot_redirect_the_gateway(http, upstream, field):
    value = {"x-evil": "1"} if field == "extra_headers" else "http://169.254.169.254/latest"
    error = assert_openai_error(http.post("/v1/chat/completions", json={**CHAT, field: value}, headers=auth()), 400,
                                param=field)
    assert field in error["message"]
    assert upstream.requests == []


def test_a_huge_body_is_413_json(http):
    huge = b'{"model":"gpt-4.1","messages":[{"role":"user","content":"' + b"x" * (33 * 1024 * 1024) + b'"}]}'
    assert_openai_error(http.post("/v1/chat/completions", content=huge, headers=auth()), 413)


def test_an_unknown_route_is_404_json(http):
    assert_openai_error(http.get("/v1/nothing-here"), 404)


def test_a_wrong_method_is_405_json(http):
    assert_openai_error(http.get("/v1/chat/completions", headers=auth()), 405)


def test_an_upstream_400_is_passed_through_with_the_providers_message(http, upstream):
    upstream.set_behaviour("gpt-4.1", kind="status", status=400, message="This model's maximum context length is 5")
    error = assert_openai_error(http.post("/v1/chat/completions", json=CHAT, headers=auth()), 400)
    assert "maximum context length is 5" in error["message"]


def test_an_upstream_429_keeps_status_and_retry_after(http, upstream):
    upstream.set_behaviour("gpt-4.1", kind="status", status=429, retry_after=12)
    answer = http.post("/v1/chat/completions", json=CHAT, headers=auth())
    assert_openai_error(answer, 429, error_type="rate_limit_error")
    assert answer.headers["retry-after"] == "12"


def test_an_upstream_500_names_the_deployment_not_its_secrets(http, upstream):
    upstream.set_behaviour("gpt-4.1", kind="status", status=500, message="boom")
    answer = http.post("/v1/chat/completions", json=CHAT, headers=auth())
    error = assert_openai_error(answer, 500)
    assert "gpt-4.1" in error["message"] and answer.headers["x-litellm-call-id"]
    assert upstream.api_key not in answer.text


def test_a_provider_rejecting_the_gateways_key_is_401_without_the_key(http, upstream):
    answer = http.post("/v1/chat/completions", json={**CHAT, "model": "wrong-key-model"}, headers=auth())
    assert_openai_error(answer, 401)
    assert "sk-not-the-upstream-key" not in answer.text


def test_an_upstream_that_never_answers_times_out_as_5xx_naming_the_deployment(http, upstream):
    upstream.set_behaviour("slow-model", kind="hang")
    answer = http.post("/v1/chat/completions", json={**CHAT, "model": "slow-model"}, headers=auth())
    error = assert_openai_error(answer, 504)
    assert "slow-model" in error["message"] and "1s" in error["message"]


def test_an_unreachable_upstream_is_502(tmp_path):
    from tests.gateway_process import GatewayProcess, free_port

    config = {"model_list": [{"model_name": "down", "litellm_params": {
        "model": "openai/down", "api_base": f"http://127.0.0.1:{free_port()}/v1", "api_key": "sk-x"}}]}
    with GatewayProcess(config, tmp_path) as proc, __import__("httpx").Client(base_url=proc.url) as session:
        answer = session.post("/v1/chat/completions", json={**CHAT, "model": "down"}, headers=auth())
    assert_openai_error(answer, 502)
