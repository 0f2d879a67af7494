"""Spend end to end: the proxy's spend headers, one spend log row per request
with tags and metadata, totals that match the log, and what a key may read."""
import json
import time

import httpx

from tests.keys.helpers import admin, eventually, generate_key
from tests.routing.scenarios import openai_deployment

PRICE = 0.0001


def config(upstream) -> dict:
    return {"model_list": [openai_deployment(upstream, "priced", "priced-model", input_cost_per_token=PRICE,
                                             output_cost_per_token=PRICE)],
            "router_settings": {"num_retries": 0, "disable_cooldowns": True}}


def chat(gateway, key: str, headers: dict | None = None, **extra) -> httpx.Response:
    return httpx.post(f"{gateway.url}/v1/chat/completions", timeout=30,
                      headers={"Authorization": f"Bearer {key}", **(headers or {})},
                      json={"model": "priced", "messages": [{"role": "user", "content": "hello there"}], **extra})


def logs_of(gateway, request_id: str) -> list[dict]:
    return admin(gateway, "/spend/logs", method="GET", params={"request_id": request_id}).json()


def test_an_answer_carries_its_cost_and_the_keys_spend(upstream, start_gateway):
    gateway = start_gateway(config(upstream))
    key = generate_key(gateway, max_budget=1)

    first = chat(gateway, key["key"])
    time.sleep(0.2)
    second = chat(gateway, key["key"])

    assert float(first.headers["x-litellm-response-cost"]) == 0.0007
    assert float(second.headers["x-litellm-key-spend"]) == 0.0014
    assert second.headers["x-litellm-call-id"]


def test_every_request_gets_one_spend_log_row_with_tags_and_metadata(upstream, start_gateway):
    gateway = start_gateway(config(upstream))
    key = generate_key(gateway, key_alias="jira-agent")

    answer = chat(gateway, key["key"], headers={"x-litellm-tags": "n8n,jira",
                                                "x-litellm-metadata": json.dumps({"user": "jira-agent"})},
                  metadata={"workflow": "triage"}, tags=["prod"], user="customer-7")
    request_id = answer.headers["x-litellm-call-id"]

    assert eventually(lambda: len(logs_of(gateway, request_id)) == 1, seconds=5)
    [row] = logs_of(gateway, request_id)
    assert row["api_key"] == key["token"] and row["model_group"] == "priced"
    assert row["spend"] == 0.0007 and row["prompt_tokens"] == 2 and row["completion_tokens"] == 5
    assert set(row["request_tags"]) == {"prod", "n8n", "jira"}
    assert row["metadata"]["workflow"] == "triage" and row["metadata"]["user"] == "jira-agent"
    assert row["end_user"] == "customer-7" and row["status"] == "success"
    assert row["messages"] in (None, [], {}, "")  # prompts are not stored unless the config asks


def test_the_keys_total_equals_the_sum_of_its_log(upstream, start_gateway):
    gateway = start_gateway(config(upstream))
    key = generate_key(gateway)
    for _ in range(3):
        chat(gateway, key["key"])

    def info_spend() -> float:
        return admin(gateway, "/key/info", method="GET", params={"key": key["token"]}).json()["info"]["spend"]

    assert eventually(lambda: abs(info_spend() - 0.0021) < 1e-9, seconds=5)
    rows = admin(gateway, "/spend/logs", method="GET", params={"api_key": key["token"]}).json()
    assert len(rows) == 3 and abs(sum(row["spend"] for row in rows) - info_spend()) < 1e-9


def test_a_failed_call_is_logged_as_a_failure(upstream, start_gateway):
    gateway = start_gateway(config(upstream))
    upstream.set_behaviour("priced-model", kind="status", status=500)

    answer = chat(gateway, "sk-test-master")

    request_id = answer.headers["x-litellm-call-id"]
    assert eventually(lambda: len(logs_of(gateway, request_id)) == 1, seconds=5)
    [row] = logs_of(gateway, request_id)
    assert row["status"] == "failure" and row["spend"] == 0


def test_a_key_reads_only_its_own_spend_logs(upstream, start_gateway):
    gateway = start_gateway(config(upstream))
    mine, other = generate_key(gateway), generate_key(gateway)
    chat(gateway, other["key"])

    own = admin(gateway, "/spend/logs", method="GET", key=mine["key"])
    theirs = admin(gateway, "/spend/logs", method="GET", key=mine["key"], params={"api_key": other["token"]})

    assert own.status_code == 200 and own.json() == []
    assert theirs.status_code == 403
    assert admin(gateway, "/global/spend", method="GET", key=mine["key"]).status_code == 401


def test_the_spend_report_by_key_names_each_key_by_its_alias(upstream, start_gateway):
    gateway = start_gateway(config(upstream))
    kept = generate_key(gateway, key_alias="jira-agent")
    deleted = generate_key(gateway, key_alias="old-agent")
    for key in (kept, deleted):
        assert chat(gateway, key["key"]).status_code == 200
    for key in (kept, deleted):
        assert eventually(lambda: admin(gateway, "/spend/logs", method="GET",
                                        params={"api_key": key["token"]}).json() != [], seconds=5)
    admin(gateway, "/key/delete", {"keys": [deleted["token"]]})
    today = time.strftime("%Y-%m-%d", time.gmtime())

    report = admin(gateway, "/global/spend/report", method="GET",
                   params={"start_date": today, "end_date": today, "group_by": "api_key"})

    assert report.status_code == 200, report.text
    by_hash = {entry["api_key"]: entry for day in report.json() for entry in day["api_keys"]}
    assert by_hash[kept["token"]]["key_alias"] == "jira-agent"
    assert by_hash[kept["token"]]["key_name"] == kept["key_name"]
    assert by_hash[deleted["token"]]["key_alias"] == "old-agent"  # from its log, the key is gone
    assert by_hash[kept["token"]]["metadata"][0]["key_alias"] == "jira-agent"
