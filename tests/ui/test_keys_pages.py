"""The keys pages over real HTTP: create (the key shown once, then never),
list actions, form errors naming the field, regenerate, search, delete."""
from __future__ import annotations

import re
import uuid

import httpx

from tests.keys.helpers import admin, chat_status, eventually, generate_key, sdk

NEW_KEY = re.compile(r'id="ui-new-key"[^>]*>([^<]+)<')
KEYS = "/ui/keys/virtualkey/"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_on_page(admin_ui, **fields) -> tuple[httpx.Response, str | None]:
    answer = admin_ui.post_form(f"{KEYS}add/", fields)
    found = NEW_KEY.search(answer.text)
    return answer, found.group(1) if found else None


def token_of(gateway, raw_key: str) -> str:
    return admin(gateway, "/key/info", method="GET", params={"key": raw_key}).json()["key"]


def run_action(admin_ui, action: str, tokens: list[str]) -> httpx.Response:
    return admin_ui.post_form(KEYS, {"action": action, "_selected_action": tokens, "index": "0"})


def test_it_creates_a_key_that_works_and_is_never_shown_again(admin_ui, ui_gateway):
    alias = unique("page-key")
    answer, raw_key = create_on_page(admin_ui, key_alias=alias, models="mock-gpt", max_budget="5", rpm_limit="100")
    assert answer.status_code == 200 and raw_key and raw_key.startswith("sk-")
    assert 'id="ui-copy-key"' in answer.text
    reply = sdk(ui_gateway, raw_key).chat.completions.create(model="mock-gpt",
                                                              messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content
    info = admin(ui_gateway, "/key/info", method="GET", params={"key": raw_key}).json()
    assert info["info"]["created_by"] == "ui:admin" and info["info"]["rpm_limit"] == 100
    token = info["key"]
    for path in (KEYS, f"{KEYS}?q={alias}", f"{KEYS}{token}/change/", f"{KEYS}add/", "/ui/"):
        page = admin_ui.get(path)
        assert page.status_code == 200, path
        assert raw_key not in page.text, path
    audit = admin_ui.get("/ui/keys/auditentry/?o=-1").text
    assert "ui:admin" in audit and "key_generate" in audit


def test_list_actions_block_and_unblock_a_key(admin_ui, ui_gateway):
    alias = unique("blockable")
    raw_key = generate_key(ui_gateway, key_alias=alias)["key"]
    token = token_of(ui_gateway, raw_key)
    assert chat_status(ui_gateway, raw_key) == 200
    assert run_action(admin_ui, "block_keys", [token]).status_code == 302
    assert eventually(lambda: chat_status(ui_gateway, raw_key) == 401)
    listed = admin_ui.get(f"{KEYS}?q={alias}").text
    assert re.search(r'ui-pill bad">blocked<', listed)
    assert run_action(admin_ui, "unblock_keys", [token]).status_code == 302
    assert eventually(lambda: chat_status(ui_gateway, raw_key) == 200)
    assert 'ui-pill ok">active<' in admin_ui.get(f"{KEYS}?q={alias}").text


def test_models_outside_the_team_are_shown_on_the_field_and_nothing_is_written(admin_ui, ui_gateway):
    team_id = unique("narrow-team")
    assert admin(ui_gateway, "/team/new", {"team_id": team_id, "models": ["gpt-4.1"]}).status_code == 200
    alias = unique("too-wide")
    answer, raw_key = create_on_page(admin_ui, key_alias=alias, team_id=team_id, models="mock-gpt")
    assert answer.status_code == 200 and raw_key is None
    assert re.search(r'class="ui-field-error" data-field="models">models: .*mock-gpt', answer.text)
    listed = admin(ui_gateway, "/key/list", method="GET", params={"key_alias": alias}).json()
    assert listed["total_count"] == 0


def test_a_bad_number_is_refused_naming_the_field(admin_ui, ui_gateway):
    alias = unique("bad-number")
    answer, raw_key = create_on_page(admin_ui, key_alias=alias, rpm_limit="-5")
    assert raw_key is None and 'data-field="rpm_limit"' in answer.text
    assert admin(ui_gateway, "/key/list", method="GET", params={"key_alias": alias}).json()["total_count"] == 0


def test_regenerate_shows_a_new_key_and_the_old_one_stops_working(admin_ui, ui_gateway):
    old_key = generate_key(ui_gateway, key_alias=unique("rotating"))["key"]
    token = token_of(ui_gateway, old_key)
    answer = admin_ui.post_form(f"{KEYS}{token}/regenerate/", {}, form_page=f"{KEYS}{token}/change/")
    new_key = NEW_KEY.search(answer.text).group(1)
    assert new_key != old_key
    assert eventually(lambda: chat_status(ui_gateway, old_key) == 401)
    assert chat_status(ui_gateway, new_key) == 200
    assert new_key not in admin_ui.get(KEYS).text


def test_search_finds_a_key_by_alias_last_four_or_whole_key(admin_ui, ui_gateway):
    alias = unique("findable")
    raw_key = generate_key(ui_gateway, key_alias=alias)["key"]
    other = unique("other")
    generate_key(ui_gateway, key_alias=other)
    for term in (alias, raw_key[-4:], raw_key):
        answer = admin_ui.get(KEYS, params={"q": term})
        if term == raw_key:  # looked up by its hash, so the raw key is not echoed into the page's links
            assert answer.status_code == 302 and raw_key not in answer.headers["location"]
            answer = admin_ui.get(answer.headers["location"])
        assert alias in answer.text and other not in answer.text, term
        assert raw_key not in answer.text


def test_delete_selected_goes_through_the_services(admin_ui, ui_gateway):
    raw_key = generate_key(ui_gateway, key_alias=unique("doomed"))["key"]
    token = token_of(ui_gateway, raw_key)
    confirm = run_action(admin_ui, "delete_selected", [token])
    assert confirm.status_code == 200 and token not in confirm.text.replace(f'value="{token}"', "")
    done = admin_ui.post_form(KEYS, {"action": "delete_selected", "_selected_action": [token], "post": "yes"})
    assert done.status_code == 302
    assert eventually(lambda: chat_status(ui_gateway, raw_key) == 401)
    assert admin(ui_gateway, "/key/info", method="GET", params={"key": raw_key}).status_code == 404


def test_filters_by_status_and_budget(admin_ui, ui_gateway):
    over = unique("spent")
    generate_key(ui_gateway, key_alias=over, max_budget=1, spend=1)
    fine = unique("fresh")
    generate_key(ui_gateway, key_alias=fine, max_budget=1)
    page = admin_ui.get(KEYS, params={"budget": "over"}).text
    assert over in page and fine not in page
    assert 'class="ui-bar bad"' in page
    assert fine not in admin_ui.get(KEYS, params={"status": "blocked"}).text
