"""What each provider adapter sends upstream."""
from tests.routing.scenarios import chat, openai_deployment


def test_request_parameters_in_litellm_params_are_defaults_under_the_clients_own(upstream, start_gateway):
    gateway = start_gateway({"model_list": [openai_deployment(upstream, "gpt-4.1", "tuned", temperature=0.1,
                                                              max_tokens=50)]})

    chat(gateway, "gpt-4.1")
    chat(gateway, "gpt-4.1", temperature=0.9)

    first, second = (request.body for request in upstream.requests)
    assert first["temperature"] == 0.1 and first["max_tokens"] == 50
    assert second["temperature"] == 0.9 and second["max_tokens"] == 50


def test_deployment_headers_are_sent_and_credentials_stay_in_the_right_header(upstream, start_gateway):
    gateway = start_gateway({"model_list": [openai_deployment(upstream, "gpt-4.1", "with-headers",
                                                              extra_headers={"x-team": "platform"})]})

    chat(gateway, "gpt-4.1")

    sent = upstream.requests[-1].headers
    assert sent["x-team"] == "platform"
    assert sent["authorization"] == f"Bearer {upstream.api_key}"
