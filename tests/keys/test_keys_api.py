"""/key/* with LiteLLM's shapes, and what a virtual key can then do through the proxy."""
import os
import subprocess
import sys
import time

import openai
import pytest

from tests.gateway_process import REPO_ROOT
from tests.keys.helpers import MOCK_CONFIG, admin, chat_status, eventually, generate_key, sdk

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def keyed_gateway(start_gateway):
    return start_gateway(MOCK_CONFIG)


def test_the_seed_generate_call_answers_like_litellm(keyed_gateway):
    key = generate_key(keyed_gateway, models=["gpt-4.1"], max_budget=50, budget_duration="30d",
                       key_alias="jira-agent")

    assert key["key"].startswith("sk-") and len(key["key"]) > 20
    assert len(key["token"]) == 64 and key["token_id"] == key["token"]
    assert key["key_name"] == f"sk-...{key['key'][-4:]}"
    assert key["models"] == ["gpt-4.1"] and key["max_budget"] == 50.0 and key["key_alias"] == "jira-agent"
    assert key["budget_duration"] == "30d" and key["budget_reset_at"].endswith("T00:00:00+00:00")
    assert key["expires"] is None and key["spend"] == 0.0


def test_a_generated_key_works_with_the_sdk_for_its_models_only(keyed_gateway):
    key = generate_key(keyed_gateway, models=["gpt-4.1"])["key"]
    client = sdk(keyed_gateway, key)

    assert client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}]).choices
    with pytest.raises(openai.PermissionDeniedError) as denied:
        client.chat.completions.create(model="gpt-4.1-mini", messages=[{"role": "user", "content": "hi"}])
    assert denied.value.body["type"] == "key_model_access_denied"
    assert [m.id for m in client.models.list()] == ["gpt-4.1"]


def test_a_key_with_no_models_may_use_every_model(keyed_gateway):
    key = generate_key(keyed_gateway)["key"]

    assert chat_status(keyed_gateway, key, "gpt-4.1-mini") == 200


def test_key_aliases_rename_the_model_a_client_asks_for(keyed_gateway):
    key = generate_key(keyed_gateway, models=["gpt-4.1"], aliases={"my-model": "gpt-4.1"})["key"]

    assert chat_status(keyed_gateway, key, "my-model") == 200


def test_an_expired_key_is_refused(keyed_gateway):
    key = generate_key(keyed_gateway, duration="2s")["key"]
    assert chat_status(keyed_gateway, key) == 200

    time.sleep(2.2)
    answer = admin(keyed_gateway, "/v1/chat/completions", {"model": "mock-gpt",
                                                           "messages": [{"role": "user", "content": "x"}]}, key=key)

    assert answer.status_code == 401 and answer.json()["error"]["type"] == "expired_key"


def test_a_custom_key_value_is_accepted(keyed_gateway):
    key = generate_key(keyed_gateway, key=f"sk-my-own-{time.time_ns()}")

    assert chat_status(keyed_gateway, key["key"]) == 200


def test_a_bad_field_is_422_naming_it_and_creates_nothing(keyed_gateway):
    before = admin(keyed_gateway, "/key/list", method="GET").json()["total_count"]

    answer = admin(keyed_gateway, "/key/generate", {"rpm_limit": -1})

    assert answer.status_code == 422 and answer.json()["error"]["param"] == "rpm_limit"
    assert admin(keyed_gateway, "/key/list", method="GET").json()["total_count"] == before


def test_a_virtual_key_reads_its_own_info_and_not_another_keys(keyed_gateway):
    mine, other = generate_key(keyed_gateway, key_alias="mine"), generate_key(keyed_gateway)

    own = admin(keyed_gateway, "/key/info", method="GET", key=mine["key"])
    theirs = admin(keyed_gateway, "/key/info", method="GET", key=mine["key"], params={"key": other["token"]})

    assert own.status_code == 200 and own.json()["key"] == mine["token"]
    assert own.json()["info"]["key_alias"] == "mine" and own.json()["info"]["status"] == "active"
    assert "sk-" not in own.json()["key"]
    assert theirs.status_code == 403


def test_a_virtual_key_cannot_manage_keys(keyed_gateway):
    key = generate_key(keyed_gateway)

    assert admin(keyed_gateway, "/key/generate", {}, key=key["key"]).status_code == 401
    assert admin(keyed_gateway, "/key/list", method="GET", key=key["key"]).status_code == 401
    assert admin(keyed_gateway, "/key/block", {"key": key["token"]}, key=key["key"]).status_code == 403
    assert chat_status(keyed_gateway, key["key"]) == 200


def test_update_changes_the_key_on_the_proxy_at_once(keyed_gateway):
    key = generate_key(keyed_gateway, models=["gpt-4.1"])
    assert chat_status(keyed_gateway, key["key"], "mock-gpt") == 403

    answer = admin(keyed_gateway, "/key/update", {"key": key["key"], "models": ["mock-gpt"]})

    assert answer.status_code == 200 and answer.json()["models"] == ["mock-gpt"]
    assert eventually(lambda: chat_status(keyed_gateway, key["key"], "mock-gpt") == 200)


def test_list_pages_and_delete_by_alias(keyed_gateway):
    alias = f"doomed-{time.time_ns()}"
    key = generate_key(keyed_gateway, key_alias=alias)

    listed = admin(keyed_gateway, "/key/list", method="GET", params={"key_alias": alias}).json()
    deleted = admin(keyed_gateway, "/key/delete", {"key_aliases": [alias]})

    assert listed["keys"] == [key["token"]] and listed["total_count"] == 1
    assert deleted.json() == {"deleted_keys": [alias]}
    assert eventually(lambda: chat_status(keyed_gateway, key["key"]) == 401)


def test_block_and_regenerate_take_effect_on_another_instance(upstream, start_gateway):
    first = start_gateway(MOCK_CONFIG, env={"REDIS_URL": REDIS_URL})
    second = start_gateway(MOCK_CONFIG, env={"REDIS_URL": REDIS_URL})
    key = generate_key(first)
    assert chat_status(second, key["key"]) == 200  # now cached by the second instance

    admin(first, "/key/block", {"key": key["key"]})
    assert eventually(lambda: chat_status(second, key["key"]) == 401, seconds=2)
    admin(first, "/key/unblock", {"key": key["key"]})
    assert eventually(lambda: chat_status(second, key["key"]) == 200, seconds=2)

    fresh = admin(first, "/key/regenerate", {"key": key["key"]}).json()
    assert fresh["key"] != key["key"]
    assert eventually(lambda: chat_status(second, key["key"]) == 401, seconds=2)
    assert chat_status(second, fresh["key"]) == 200


def test_every_change_is_in_a_verifiable_audit_chain(keyed_gateway, gateway_database):
    key = generate_key(keyed_gateway)
    admin(keyed_gateway, "/key/update", {"key": key["key"], "max_budget": 5})
    env = {**os.environ, "DATABASE_URL": gateway_database}

    intact = subprocess.run([sys.executable, "manage.py", "verify_audit"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    tamper = ("from keys.models import AuditEntry; e = AuditEntry.objects.order_by('-id')[1]; "
              "e.actor = 'someone-else'; e.save()")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", tamper], cwd=REPO_ROOT, env=env, check=True,
                   timeout=60)
    broken = subprocess.run([sys.executable, "manage.py", "verify_audit"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    subprocess.run([sys.executable, "manage.py", "shell", "-c",
                    "from keys.models import AuditEntry; AuditEntry.objects.all().delete()"],
                   cwd=REPO_ROOT, env=env, check=True, timeout=60)  # leave a clean chain for other tests

    assert intact.returncode == 0, intact.stderr
    assert broken.returncode != 0 and "edited" in broken.stderr
    assert key["key"] not in intact.stdout
