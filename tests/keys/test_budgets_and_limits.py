"""Hard budgets and rate limits of virtual keys, over real HTTP."""
import concurrent.futures
import time

import httpx

from tests.clock import clear_of_minute_end
from tests.keys.helpers import admin, eventually, generate_key
from tests.routing.scenarios import openai_deployment

PRICE = 0.0001  # USD per token, in and out: a 2-word prompt and the 5-word answer cost 0.0007


def priced_config(upstream) -> dict:
    return {"model_list": [
        openai_deployment(upstream, "priced", "priced-model", input_cost_per_token=PRICE,
                          output_cost_per_token=PRICE),
        openai_deployment(upstream, "unpriced", "some-private-model"),
        {"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}},
    ], "router_settings": {"num_retries": 0, "disable_cooldowns": True}}


def chat(gateway, key: str, model: str = "priced", **extra) -> httpx.Response:
    return httpx.post(f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, timeout=30,
                      json={"model": model, "messages": [{"role": "user", "content": "hello there"}],
                            "max_tokens": 5, **extra})


def test_a_key_is_refused_once_its_budget_is_spent(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    key = generate_key(gateway, max_budget=0.001)

    statuses = [chat(gateway, key["key"]).status_code for _ in range(2)]
    time.sleep(0.2)
    refused = chat(gateway, key["key"])

    assert statuses == [200, 200]
    assert refused.status_code == 422
    assert refused.json()["error"]["type"] == "budget_exceeded"
    assert refused.json()["error"]["message"].startswith("Budget has been exceeded! Current cost: 0.0014")
    assert eventually(lambda: admin(gateway, "/key/info", method="GET",
                                    params={"key": key["token"]}).json()["info"]["spend"] == 0.0014)


def test_the_budget_status_code_is_configurable(upstream, start_gateway):
    config = {**priced_config(upstream), "litellm_settings": {"budget_exceeded_status_code": 400}}
    gateway = start_gateway(config)
    key = generate_key(gateway, max_budget=0.0001)
    chat(gateway, key["key"])
    time.sleep(0.2)

    assert chat(gateway, key["key"]).status_code == 400


def test_fifty_concurrent_requests_overshoot_a_nearly_spent_budget_by_at_most_one(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    upstream.set_behaviour("priced-model", kind="slow", delay=0.2)  # all 50 are in flight together
    key = generate_key(gateway, max_budget=0.01, spend=0.0095)

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(lambda _: chat(gateway, key["key"]).status_code, range(50)))

    assert statuses.count(200) == 1 and statuses.count(422) == 49
    assert eventually(lambda: admin(gateway, "/key/info", method="GET",
                                    params={"key": key["token"]}).json()["info"]["spend"] > 0.0095)
    spend = admin(gateway, "/key/info", method="GET", params={"key": key["token"]}).json()["info"]["spend"]
    assert spend <= 0.01 + 0.0007


def test_a_budget_on_a_model_without_a_price_fails_closed(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    budgeted, unbudgeted = generate_key(gateway, max_budget=10), generate_key(gateway)

    refused = chat(gateway, budgeted["key"], "unpriced")

    assert refused.status_code == 400
    assert "openai/some-private-model" in refused.json()["error"]["message"]
    assert "input_cost_per_token" in refused.json()["error"]["message"]
    assert chat(gateway, unbudgeted["key"], "unpriced").status_code == 200
    assert upstream.requests and all(r.body["model"] == "some-private-model" for r in upstream.requests)
    assert len(upstream.requests) == 1


def test_rpm_limit_answers_429_with_rate_limit_headers(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    key = generate_key(gateway, rpm_limit=2)
    clear_of_minute_end()

    answers = [chat(gateway, key["key"], "mock-gpt") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit-requests"] == "2"
    assert answers[0].headers["x-ratelimit-remaining-requests"] == "1"
    refused = answers[2]
    assert refused.json()["error"]["type"] == "rate_limit_error"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"


def test_the_parallel_limit_is_released_after_failures(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    upstream.set_behaviour("priced-model", kind="status", status=500)
    key = generate_key(gateway, max_parallel_requests=1)

    failures = [chat(gateway, key["key"]).status_code for _ in range(3)]
    upstream.set_behaviour("priced-model", kind="ok")

    assert failures == [500, 500, 500]
    assert chat(gateway, key["key"]).status_code == 200


def test_the_parallel_limit_refuses_a_second_request_in_flight(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    upstream.set_behaviour("priced-model", kind="slow", delay=1)
    key = generate_key(gateway, max_parallel_requests=1)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(chat, gateway, key["key"])
        time.sleep(0.3)
        second = chat(gateway, key["key"])

    assert first.result().status_code == 200
    assert second.status_code == 429


def test_a_streamed_answer_is_charged(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    key = generate_key(gateway, max_budget=1)

    with httpx.stream("POST", f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key['key']}"},
                      json={"model": "priced", "stream": True, "max_tokens": 5,
                            "messages": [{"role": "user", "content": "hello there"}]}) as answer:
        answer.read()

    assert eventually(lambda: admin(gateway, "/key/info", method="GET",
                                    params={"key": key["token"]}).json()["info"]["spend"] == 0.0007)


def test_an_end_user_over_the_default_end_user_budget_is_refused(upstream, start_gateway):
    config = {**priced_config(upstream), "litellm_settings": {"max_end_user_budget": 0.001}}
    gateway = start_gateway(config)
    key = generate_key(gateway)
    customer = f"customer-{time.time_ns()}"

    statuses = [chat(gateway, key["key"], user=customer).status_code for _ in range(2)]
    time.sleep(0.3)
    refused = chat(gateway, key["key"], user=customer)
    other = chat(gateway, key["key"], user=f"{customer}-other")

    assert statuses == [200, 200]
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith(f"ExceededBudget: End User={customer} over budget.")
    assert other.status_code == 200


def test_a_teams_budget_holds_for_all_its_keys(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    team = admin(gateway, "/team/new", {"team_alias": f"t-{time.time_ns()}", "max_budget": 0.001}).json()
    first, second = (generate_key(gateway, team_id=team["team_id"])["key"] for _ in range(2))

    statuses = [chat(gateway, first).status_code, chat(gateway, second).status_code]
    time.sleep(0.2)

    assert statuses == [200, 200]
    assert chat(gateway, first).status_code == 422
    assert chat(gateway, second).status_code == 422


def test_a_users_budget_holds_across_their_keys(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    user = admin(gateway, "/user/new", {"user_id": f"u-{time.time_ns()}", "max_budget": 0.001}).json()
    other_key = generate_key(gateway, user_id=user["user_id"])["key"]

    chat(gateway, user["key"])
    chat(gateway, other_key)
    time.sleep(0.2)
    refused = chat(gateway, other_key)

    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith(f"ExceededBudget: User={user['user_id']} over budget.")


def test_a_team_rpm_limit_counts_every_key_of_the_team(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    team = admin(gateway, "/team/new", {"team_alias": f"t-{time.time_ns()}", "rpm_limit": 2}).json()
    keys = [generate_key(gateway, team_id=team["team_id"])["key"] for _ in range(3)]
    clear_of_minute_end()

    statuses = [chat(gateway, key, "mock-gpt").status_code for key in keys]

    assert statuses == [200, 200, 429]


def test_a_members_budget_in_the_team_holds_across_their_team_keys_only(upstream, start_gateway):
    gateway = start_gateway(priced_config(upstream))
    user_id = f"u-{time.time_ns()}"
    team = admin(gateway, "/team/new", {"team_alias": f"t-{time.time_ns()}"}).json()
    admin(gateway, "/user/new", {"user_id": user_id})
    added = admin(gateway, "/team/member_add", {"team_id": team["team_id"], "max_budget_in_team": 0.001,
                                                "member": {"user_id": user_id, "role": "user"}})
    assert added.status_code == 200, added.text
    first, second = (generate_key(gateway, team_id=team["team_id"], user_id=user_id)["key"] for _ in range(2))
    own = generate_key(gateway, user_id=user_id)["key"]  # outside the team: not bound by it

    statuses = [chat(gateway, first).status_code, chat(gateway, second).status_code]
    time.sleep(0.2)
    refused = chat(gateway, second)

    assert statuses == [200, 200]
    assert refused.status_code == 422
    assert refused.json()["error"]["message"].startswith(
        f"Budget has been exceeded! User={user_id} in team={team['team_id']} Current cost: 0.0014")
    assert chat(gateway, own).status_code == 200
