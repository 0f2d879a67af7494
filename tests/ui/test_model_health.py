"""/ui/health/: each deployment's state (healthy, cooling down and why,
failing with its last error), error rate and latency from the spend log, this
minute's load, and "Check now" probing one deployment."""
from __future__ import annotations

import re

import pytest

from tests.conftest import MASTER_KEY
from tests.gateway_process import GatewayProcess
from tests.keys.helpers import eventually
from tests.routing.scenarios import chat, openai_deployment
from tests.ui.ui_session import logged_in


@pytest.fixture(scope="module")
def health_gateway(upstream, tmp_path_factory):
    """Two deployments of a pool (cooldowns on), one alone, one with a wrong key."""
    pool = [openai_deployment(upstream, "pool", "pool-a"), openai_deployment(upstream, "pool", "pool-b")]
    solo = openai_deployment(upstream, "solo", "solo-a", rpm=100, tpm=100000)
    wrong = openai_deployment(upstream, "wrong-key", "wrong-a", api_key="sk-not-the-upstream-key")
    config = {"model_list": [*pool, solo, wrong],
              "router_settings": {"num_retries": 0, "allowed_fails": 0, "cooldown_time": 120}}
    with GatewayProcess(config, tmp_path_factory.mktemp("ui-health"), master_key=MASTER_KEY, name="ui-health") as proc:
        proc.ids = {item["litellm_params"]["model"].split("/")[1]: item["model_info"]["id"]
                    for item in config["model_list"]}
        yield proc


@pytest.fixture
def session(health_gateway):
    return logged_in(health_gateway.url, "admin", MASTER_KEY)


def row_of(html: str, deployment_id: str) -> str:
    found = re.search(rf'<tr data-deployment="{re.escape(deployment_id)}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, f"no row for {deployment_id}"
    return found.group(0)


def cell(row: str, attribute: str, window: str) -> str:
    found = re.search(rf'<td[^>]*{attribute}="{window}"[^>]*>(.*?)</td>', row, re.S)
    assert found, f"no {attribute} {window} cell"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_it_shows_every_deployment_healthy_before_any_traffic(session, health_gateway):
    page = session.get("/ui/health/")

    assert page.status_code == 200
    for deployment_id in health_gateway.ids.values():
        assert f'data-deployment="{deployment_id}"' in page.text
    assert 'data-state="healthy"' in row_of(page.text, health_gateway.ids["wrong-a"])


def test_a_deployment_that_fails_cools_down_and_the_page_says_until_when_and_why(session, health_gateway, upstream):
    upstream.set_behaviour("pool-b", kind="status", status=429)
    failing = health_gateway.ids["pool-b"]

    statuses = [chat(health_gateway, "pool").status_code for _ in range(12)]
    assert 429 in statuses, statuses  # the shuffle sent at least one call to pool-b

    def cooling_row() -> str | None:
        row = row_of(session.get("/ui/health/").text, failing)
        return row if 'data-state="cooling"' in row and "429" in row else None

    assert eventually(lambda: cooling_row() is not None, seconds=6)
    row = cooling_row()
    assert "cooling down" in row and re.search(r"until \d\d:\d\d:\d\d", row)
    assert "429 rate limited" in row
    assert 'data-state="healthy"' in row_of(session.get("/ui/health/").text, health_gateway.ids["pool-a"])


def test_error_rate_latency_and_this_minutes_load_follow_the_calls(session, health_gateway, upstream):
    solo = health_gateway.ids["solo-a"]
    assert [chat(health_gateway, "solo").status_code for _ in range(3)] == [200] * 3
    upstream.set_behaviour("solo-a", kind="status", status=500)
    assert chat(health_gateway, "solo").status_code == 500

    def logged_four() -> bool:
        return cell(row_of(session.get("/ui/health/").text, solo), "data-window", "1h") == "4"

    assert eventually(logged_four, seconds=8)
    row = row_of(session.get("/ui/health/").text, solo)
    assert cell(row, "data-error-rate", "1h") == "25.0%" and cell(row, "data-error-rate", "24h") == "25.0%"
    p50, p95 = (int(value) for value in cell(row, "data-latency", "1h").split(" / "))
    assert 0 <= p50 <= p95 < 10_000
    # Its latest call failed; the only deployment of its group, it never cools down.
    assert 'data-state="failing"' in row and "500 server error" in row
    assert chat(health_gateway, "solo").status_code == 500
    this_minute = re.search(r"(\d+) / 100 req", row_of(session.get("/ui/health/").text, solo))
    assert this_minute and 1 <= int(this_minute.group(1)) <= 5  # counted per calendar minute


def test_check_now_reports_ok_for_a_good_deployment(session, health_gateway):
    answer = session.post_form("/ui/health/check/", {"deployment": health_gateway.ids["pool-a"]},
                               form_page="/ui/health/")

    assert answer.status_code == 302 and answer.headers["location"] == "/ui/health/"
    page = session.get("/ui/health/").text
    assert re.search(rf"{health_gateway.ids['pool-a']}: ok in \d+ ms", page)


def test_check_now_reports_the_error_of_a_bad_deployment(session, health_gateway):
    session.post_form("/ui/health/check/", {"deployment": health_gateway.ids["wrong-a"]}, form_page="/ui/health/")

    page = session.get("/ui/health/").text
    message = re.search(rf"{health_gateway.ids['wrong-a']}: ([^<]+)<", page)
    assert message and "ok in" not in message.group(1)
    assert "sk-not-the-upstream-key" not in page


def test_check_now_needs_a_post_with_a_csrf_token(session, health_gateway):
    assert session.get("/ui/health/check/").status_code == 405
    assert session.http.post("/ui/health/check/", data={"deployment": health_gateway.ids["pool-a"]}).status_code == 403
