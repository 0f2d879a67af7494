"""/ui/models/: every deployment by model group, prices per 1M tokens,
credentials masked, entries that are not served with their reason."""
from __future__ import annotations

import re

import pytest

from tests.conftest import MASTER_KEY
from tests.ui.ui_session import logged_in

SECRET = "sk-provider-secret-9f8e7d6c"


@pytest.fixture
def models_gateway(upstream, start_gateway):
    config = {"model_list": [
        {"model_name": "gpt-4.1", "litellm_params": {
            "model": "openai/gpt-4.1", "api_base": upstream.openai_base, "api_key": SECRET, "rpm": 60, "tpm": 90000,
            "input_cost_per_token": 0.0000025, "output_cost_per_token": 0.00001, "temperature": 0.2},
         "model_info": {"id": "gpt41-east", "access_groups": ["beta-models"]}},
        {"model_name": "gpt-4.1", "litellm_params": {
            "model": "openai/gpt-4.1", "api_base": f"http://user:pw-in-url@127.0.0.1:{upstream.port}/v1",
            "api_key": SECRET}, "model_info": {"id": "gpt41-west"}},
        {"model_name": "house-model", "litellm_params": {
            "model": "openai/house-model-v3", "api_base": upstream.openai_base, "api_key": SECRET},
         "model_info": {"id": "house-1"}},
        {"model_name": "embedder", "litellm_params": {"model": "mock/embed"},
         "model_info": {"id": "embed-1", "mode": "embedding"}},
        {"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_key": SECRET}},
        {"model_name": "broken", "litellm_params": {"model": "nosuchprovider/model-x", "api_key": SECRET}},
    ]}
    return start_gateway(config)


def row_of(html: str, deployment_id: str) -> str:
    found = re.search(rf'<tr data-deployment="{re.escape(deployment_id)}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {deployment_id}"
    return found.group(1)


def test_it_lists_every_deployment_grouped_by_model_group(models_gateway):
    page = logged_in(models_gateway.url, "admin", MASTER_KEY).get("/ui/models/")

    assert page.status_code == 200
    for deployment_id in ("gpt41-east", "gpt41-west", "house-1", "embed-1"):
        assert f'data-deployment="{deployment_id}"' in page.text
    group = page.text.index("<h2>gpt-4.1 ")
    assert group < page.text.index('data-deployment="gpt41-east"') < page.text.index("<h2>house-model ")
    east = row_of(page.text, "gpt41-east")
    assert "60 rpm" in east and "90000 tpm" in east and "beta-models" in east and "temperature" in east
    assert "embedding" in row_of(page.text, "embed-1")
    assert "<h2>openai/* " in page.text  # a wildcard route, with its template deployment


def test_it_never_shows_a_provider_key_or_a_password_in_the_api_base(models_gateway):
    page = logged_in(models_gateway.url, "admin", MASTER_KEY).get("/ui/models/")

    assert SECRET not in page.text and "pw-in-url" not in page.text and MASTER_KEY not in page.text
    assert "api_key" in row_of(page.text, "gpt41-east") and "••••" in row_of(page.text, "gpt41-east")


def test_it_shows_prices_per_million_tokens_and_which_are_not_priced(models_gateway):
    page = logged_in(models_gateway.url, "admin", MASTER_KEY).get("/ui/models/")

    east = row_of(page.text, "gpt41-east")
    assert "$2.5" in east and "$10" in east
    assert "not priced" in row_of(page.text, "house-1")
    assert "not priced" not in east


def test_it_lists_skipped_deployments_with_their_reason(models_gateway):
    page = logged_in(models_gateway.url, "admin", MASTER_KEY).get("/ui/models/")

    skipped = page.text[page.text.index('id="ui-skipped"'):]
    assert "model_list[5] (broken)" in skipped and "nosuchprovider" in skipped

