"""/ui/logs/: filters narrow the log, keyset pages walk it whole, a request's
page shows what was recorded (bodies only when the config stores them), and
an internal user sees only their own requests."""
from __future__ import annotations

import re
import uuid
from urllib.parse import unquote

import pytest

from tests.conftest import MASTER_KEY, gateway_config
from tests.gateway_process import GatewayProcess
from tests.keys.helpers import admin, generate_key
from tests.ui.spend_cast import call, failing_call, internal_user, unique, wait_for_logs
from tests.ui.ui_session import logged_in

ROW_ID = re.compile(r'<tr data-request-id="([^"]+)"')
OLDER = re.compile(r'id="ui-logs-older" href="([^"]+)"')
NEWER = re.compile(r'id="ui-logs-newer" href="([^"]+)"')


def row_ids(html: str) -> list[str]:
    assert '<table id="ui-logs">' in html
    return ROW_ID.findall(html)


def link(pattern: re.Pattern, html: str) -> str | None:
    found = pattern.search(html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture(scope="module")
def cast(ui_gateway):
    """Key "plain" (3 calls, one tagged), key "teamed" of a team (2 calls, one failing)."""
    team_id = unique("team-logs")
    assert admin(ui_gateway, "/team/new", {"team_id": team_id, "team_alias": unique("Logs team")}).status_code == 200
    plain = generate_key(ui_gateway, key_alias=unique("plain"))
    teamed = generate_key(ui_gateway, key_alias=unique("teamed"), team_id=team_id)
    tag = unique("tag")
    ids = {"plain": [call(ui_gateway, plain["key"]), call(ui_gateway, plain["key"], tags=[tag, "other"]),
                     call(ui_gateway, plain["key"], model="mock-gpt")],
           "teamed": [call(ui_gateway, teamed["key"], tags=[tag])]}
    failing_call(ui_gateway, teamed["key"])
    wait_for_logs(ui_gateway, plain["token"], 3)
    wait_for_logs(ui_gateway, teamed["token"], 2)
    return {"plain": plain, "teamed": teamed, "team_id": team_id, "tag": tag, "ids": ids}


def test_filters_narrow_the_log(admin_ui, cast):
    plain = row_ids(admin_ui.get("/ui/logs/", params={"key_alias": cast["plain"]["key_alias"]}).text)
    assert sorted(plain) == sorted(cast["ids"]["plain"])
    assert len(row_ids(admin_ui.get("/ui/logs/", params={"team_id": cast["team_id"]}).text)) == 2
    tagged = row_ids(admin_ui.get("/ui/logs/", params={"tag": cast["tag"]}).text)
    assert sorted(tagged) == sorted([cast["ids"]["plain"][1], cast["ids"]["teamed"][0]])
    by_model = row_ids(admin_ui.get("/ui/logs/", params={"key_alias": cast["plain"]["key_alias"],
                                                         "model": "mock-gpt"}).text)
    assert by_model == [cast["ids"]["plain"][2]]
    failed = admin_ui.get("/ui/logs/", params={"team_id": cast["team_id"], "status": "failure"}).text
    assert len(row_ids(failed)) == 1 and "failure" in failed
    assert row_ids(admin_ui.get("/ui/logs/", params={"tag": cast["tag"], "start": "2001-01-01",
                                                     "end": "2001-01-02"}).text) == []


def test_a_row_shows_key_model_tokens_cost_and_status(admin_ui, cast):
    page = admin_ui.get("/ui/logs/", params={"key_alias": cast["plain"]["key_alias"], "model": "gpt-4.1"}).text
    row = page[page.index(f'data-request-id="{cast["ids"]["plain"][0]}"'):].split("</tr>")[0]
    assert cast["plain"]["key_alias"] in row and cast["plain"]["key_name"] in row and "gpt-4.1" in row
    assert re.search(r"\$0\.\d{6}", row) and " ms</td>" in row and "success" in row
    assert "sk-fake-upstream" not in page and cast["plain"]["key"] not in page


def test_pages_walk_every_row_once_both_ways(ui_gateway, admin_ui):
    key = generate_key(ui_gateway, key_alias=unique("many"))
    made = {call(ui_gateway, key["key"], model="mock-gpt") for _ in range(57)}
    wait_for_logs(ui_gateway, key["token"], 57)
    first = admin_ui.get("/ui/logs/", params={"key_alias": key["key_alias"]}).text
    assert link(NEWER, first) is None
    second = admin_ui.get(link(OLDER, first)).text
    assert link(OLDER, second) is None
    walked = row_ids(first) + row_ids(second)
    assert len(walked) == 57 == len(set(walked)) and set(walked) == made
    back = admin_ui.get(link(NEWER, second)).text
    assert row_ids(back) == row_ids(first) and link(NEWER, back) is None
    assert key["key_alias"] in unquote(link(OLDER, first))  # the filters ride along


def test_the_detail_page_shows_the_record_but_not_the_bodies_when_not_stored(admin_ui, ui_gateway):
    key = generate_key(ui_gateway, key_alias=unique("detail"))
    secret_prompt = f"purple-elephant-{uuid.uuid4().hex}"
    request_id = call(ui_gateway, key["key"], text=secret_prompt, metadata={"workflow": "triage"})
    wait_for_logs(ui_gateway, key["token"], 1)
    page = admin_ui.get(f"/ui/logs/{request_id}/").text
    assert request_id in page and key["key_alias"] in page and "gpt-4.1" in page
    assert '<th>workflow</th><td>triage</td>' in page  # metadata as a key/value table
    assert "not stored" in page and secret_prompt not in page
    assert admin_ui.get("/ui/logs/no-such-request/").status_code == 404


def test_the_detail_page_shows_the_bodies_when_the_config_stores_them(upstream, tmp_path):
    config = {**gateway_config(upstream), "general_settings": {"store_prompts_in_spend_logs": True}}
    with GatewayProcess(config, tmp_path, name="ui-prompts", master_key=MASTER_KEY) as gateway:
        key = generate_key(gateway, key_alias=unique("stored"))
        request_id = call(gateway, key["key"], text="teal-giraffe-question")
        wait_for_logs(gateway, key["token"], 1)
        page = logged_in(gateway.url, "admin", MASTER_KEY).get(f"/ui/logs/{request_id}/").text
    assert 'id="ui-log-messages"' in page and "teal-giraffe-question" in page
    assert 'id="ui-log-response"' in page


def test_an_internal_user_sees_only_their_own_requests(ui_gateway, admin_ui, cast):
    user_id, key = internal_user(ui_gateway, "pw-for-logs-1234")
    mine = call(ui_gateway, key["key"], tags=[cast["tag"]])
    wait_for_logs(ui_gateway, key["token"], 1)
    session = logged_in(ui_gateway.url, user_id, "pw-for-logs-1234")

    assert row_ids(session.get("/ui/logs/").text) == [mine]
    assert row_ids(session.get("/ui/logs/", params={"tag": cast["tag"]}).text) == [mine]
    assert row_ids(session.get("/ui/logs/", params={"key_alias": cast["plain"]["key_alias"]}).text) == []
    assert session.get(f"/ui/logs/{mine}/").status_code == 200
    assert session.get(f"/ui/logs/{cast['ids']['plain'][0]}/").status_code == 404
    assert admin_ui.get(f"/ui/logs/{mine}/").status_code == 200  # the admin reads everyone's
