"""Every number a client sends that the gateway reads is finite and in range,
else a 400 in the OpenAI envelope naming the field (never a 500)."""
import pytest

from tests.conftest import auth
from tests.gateway.test_errors_over_http import assert_openai_error
from tests.keys.helpers import generate_key

CHAT = {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "-1", 0, -0.5, True, "soon", [1],
                                   10**7])
def test_a_body_timeout_that_is_not_a_finite_positive_number_is_a_400(http, value):
    answer = http.post("/v1/chat/completions", json={**CHAT, "timeout": value}, headers=auth())

    error = assert_openai_error(answer, 400, param="timeout")
    assert "timeout" in error["message"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-3", "ten", "1e999"])
def test_an_x_litellm_timeout_header_that_is_not_a_finite_positive_number_is_a_400(http, value):
    answer = http.post("/v1/chat/completions", json=CHAT, headers={**auth(), "x-litellm-timeout": value})

    assert_openai_error(answer, 400, param="x-litellm-timeout")


def test_sane_timeouts_are_accepted_in_the_body_and_the_header(http):
    assert http.post("/v1/chat/completions", json={**CHAT, "timeout": "2.5"}, headers=auth()).status_code == 200
    assert http.post("/v1/chat/completions", json={**CHAT, "timeout": 30}, headers=auth()).status_code == 200
    assert http.post("/v1/chat/completions", json=CHAT,
                     headers={**auth(), "x-litellm-timeout": "600"}).status_code == 200


@pytest.mark.parametrize("value", [-1, 1.5, "nan", "1e3", True, "many", 10**30])
def test_num_retries_that_is_not_a_whole_number_is_a_400(http, value):
    answer = http.post("/v1/chat/completions", json={**CHAT, "num_retries": value}, headers=auth())

    assert_openai_error(answer, 400, param="num_retries")


@pytest.mark.parametrize("value", ["nan", "-1", "1.5", "inf"])
def test_an_x_litellm_num_retries_header_that_is_not_a_whole_number_is_a_400(http, value):
    answer = http.post("/v1/chat/completions", json=CHAT, headers={**auth(), "x-litellm-num-retries": value})

    assert_openai_error(answer, 400, param="x-litellm-num-retries")


@pytest.mark.parametrize("field, value", [("max_tokens", 2**64 - 1), ("max_tokens", -5), ("max_tokens", 0),
                                          ("max_completion_tokens", 2**40), ("n", 10**6), ("n", 0),
                                          ("max_tokens", 1e30)])
def test_token_limits_out_of_range_are_a_400(http, field, value):
    answer = http.post("/v1/chat/completions", json={**CHAT, field: value}, headers=auth())

    error = assert_openai_error(answer, 400, param=field)
    assert field in error["message"]


def test_a_responses_max_output_tokens_out_of_range_is_a_400(http):
    answer = http.post("/v1/responses", json={"model": "mock-gpt", "input": "hi", "max_output_tokens": 2**63},
                       headers=auth())

    assert_openai_error(answer, 400, param="max_output_tokens")


def test_a_huge_max_tokens_on_a_budgeted_key_is_a_400_not_a_500(gateway, http):
    key = generate_key(gateway, max_budget=10)["key"]

    answer = http.post("/v1/chat/completions", json={**CHAT, "model": "gpt-4.1", "max_tokens": 2**64 - 1},
                       headers=auth(key))

    assert_openai_error(answer, 400, param="max_tokens")


@pytest.mark.parametrize(("where", "param"), [("body", "user"), ("header", "x-litellm-end-user-id"),
                                              ("metadata", "metadata.user_id")])
def test_an_end_user_id_longer_than_the_customer_table_takes_is_a_400(http, where, param):
    long_id = "u" * 256
    body, headers = dict(CHAT), auth()
    if where == "body":
        body["user"] = long_id
    elif where == "header":
        headers["x-litellm-end-user-id"] = long_id
    else:
        body["metadata"] = {"user_id": long_id}

    answer = http.post("/v1/chat/completions", json=body, headers=headers)

    assert_openai_error(answer, 400, param=param)
    assert http.post("/v1/chat/completions", json={**CHAT, "user": "u" * 255}, headers=auth()).status_code == 200
