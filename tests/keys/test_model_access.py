"""Which models a call may use: the intersection of the key's, its team's and
its user's models, with access groups and all-proxy-models, checked over real
HTTP from the cached key context (issue 11, item 3)."""
from __future__ import annotations

import httpx
import pytest

from tests.keys.helpers import admin, chat_status, eventually, generate_key
from tests.keys.test_teams_api import call, error_of, new_team, ok
from tests.keys.test_users_api import new_user


def chat(http, key: str, model: str) -> httpx.Response:
    return http.post("/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                     json={"model": model, "messages": [{"role": "user", "content": "hi"}]})


def model_ids(http, key: str) -> list[str]:
    return [model["id"] for model in ok(http.get("/v1/models", headers={"Authorization": f"Bearer {key}"}))["data"]]


def test_a_users_own_key_cannot_reach_beyond_the_users_models(http):
    user = new_user(http, models=["mock-gpt"], auto_create_key=False)
    wide = ok(call(http, "/key/generate", {"user_id": user["user_id"], "models": []}))

    refused = chat(http, wide["key"], "gpt-4.1")

    error = error_of(refused, 403)
    assert error["type"] == "user_model_access_denied" and error["param"] == "model"
    assert chat(http, wide["key"], "mock-gpt").status_code == 200
    assert model_ids(http, wide["key"]) == ["mock-gpt"]


def test_the_user_mints_a_wide_key_for_themself_and_still_gets_only_their_models(http):
    user = new_user(http, models=["mock-gpt"])
    minted = ok(call(http, "/key/generate", {"user_id": user["user_id"], "models": ["all-proxy-models"]},
                     key=user["key"]))

    assert error_of(chat(http, minted["key"], "gpt-4.1"), 403)["type"] == "user_model_access_denied"
    assert chat(http, minted["key"], "mock-gpt").status_code == 200


def test_a_change_to_the_users_models_reaches_their_keys(http):
    user = new_user(http, models=["mock-gpt"], auto_create_key=False)
    key = ok(call(http, "/key/generate", {"user_id": user["user_id"]}))["key"]
    assert chat(http, key, "gpt-4.1").status_code == 403

    ok(call(http, "/user/update", {"user_id": user["user_id"], "models": ["gpt-4.1"]}))

    assert eventually(lambda: chat(http, key, "mock-gpt").status_code == 403)
    assert chat(http, key, "gpt-4.1").status_code != 403


def test_a_team_key_gets_what_key_team_and_user_all_allow(http):
    user = new_user(http, models=["mock-gpt", "gpt-4.1"], auto_create_key=False)
    team = new_team(http, models=["gpt-4.1", "text-embedding-3-small"],
                    members_with_roles=[{"user_id": user["user_id"]}])
    key = ok(call(http, "/key/generate", {"team_id": team["team_id"], "user_id": user["user_id"]}))

    assert error_of(chat(http, key["key"], "mock-gpt"), 403)["type"] == "team_model_access_denied"
    embedding = http.post("/v1/embeddings", headers={"Authorization": f"Bearer {key['key']}"},
                          json={"model": "text-embedding-3-small", "input": "hi"})
    assert error_of(embedding, 403)["type"] == "user_model_access_denied"
    assert set(model_ids(http, key["key"])) == {"gpt-4.1", "gpt-4"}  # and its alias


def test_a_user_with_all_proxy_models_or_no_models_is_not_limited(http):
    for models in (["all-proxy-models"], []):
        user = new_user(http, models=models)
        assert chat(http, user["key"], "mock-gpt").status_code == 200


ACCESS_GROUP_CONFIG = {
    "model_list": [
        {"model_name": "beta-a", "litellm_params": {"model": "mock/beta-a"}, "model_info": {"access_groups": ["beta"]}},
        {"model_name": "beta-b", "litellm_params": {"model": "mock/beta-b"},
         "model_info": {"access_groups": ["beta", "all-staff"]}},
        {"model_name": "stable", "litellm_params": {"model": "mock/stable"}},
        {"model_name": "labs/*", "litellm_params": {"model": "mock/*"}, "model_info": {"access_groups": ["beta"]}},
    ],
}


@pytest.fixture(scope="module")
def grouped_gateway(tmp_path_factory):
    from tests.conftest import MASTER_KEY
    from tests.gateway_process import GatewayProcess

    with GatewayProcess(ACCESS_GROUP_CONFIG, tmp_path_factory.mktemp("access"), master_key=MASTER_KEY) as proc:
        yield proc


def test_an_access_group_in_a_users_models_allows_its_model_groups(grouped_gateway):
    user = admin(grouped_gateway, "/user/new", {"models": ["beta"]}).json()

    assert chat_status(grouped_gateway, user["key"], "beta-a") == 200
    assert chat_status(grouped_gateway, user["key"], "beta-b") == 200
    assert chat_status(grouped_gateway, user["key"], "labs/anything") == 200  # a wildcard group of the access group
    assert chat_status(grouped_gateway, user["key"], "stable") == 403


def test_an_access_group_works_in_key_and_team_models_too(grouped_gateway):
    team = admin(grouped_gateway, "/team/new", {"models": ["beta"]}).json()
    key = generate_key(grouped_gateway, team_id=team["team_id"], models=["all-staff"])["key"]  # inside beta
    outside = admin(grouped_gateway, "/key/generate", {"team_id": team["team_id"], "models": ["stable"]})

    assert chat_status(grouped_gateway, key, "beta-b") == 200
    assert chat_status(grouped_gateway, key, "beta-a") == 403  # in beta (the team's), not in all-staff (the key's)
    assert chat_status(grouped_gateway, key, "stable") == 403
    listed = httpx.get(f"{grouped_gateway.url}/v1/models", headers={"Authorization": f"Bearer {key}"}).json()
    assert [model["id"] for model in listed["data"]] == ["beta-b"]
    assert outside.status_code == 400 and outside.json()["error"]["param"] == "models"


def test_a_name_that_is_no_access_group_allows_nothing_more(grouped_gateway):
    key = generate_key(grouped_gateway, models=["gamma"])["key"]

    assert chat_status(grouped_gateway, key, "beta-a") == 403
