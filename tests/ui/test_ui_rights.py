"""What a logged-in internal user may do on /ui, over real HTTP: their own keys
only, no admin pages, nothing widened by forging a form's user_id or team_id,
and read-only roles change nothing."""
from __future__ import annotations

import re
import uuid

import pytest

from tests.keys.helpers import admin, chat_status, generate_key
from tests.ui.ui_people import person_with_login

KEYS = "/ui/keys/virtualkey/"
NEW_KEY = re.compile(r'id="ui-new-key"[^>]*>([^<]+)<')


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def token_of(gateway, raw_key: str) -> str:
    return admin(gateway, "/key/info", method="GET", params={"key": raw_key}).json()["key"]


@pytest.fixture
def internal_user(admin_ui, ui_gateway):
    return person_with_login(admin_ui, ui_gateway, "internal_user", name="ines")


def test_an_internal_user_sees_only_their_own_keys(internal_user, ui_gateway):
    user_id, session = internal_user
    mine, theirs = unique("mine"), unique("theirs")
    generate_key(ui_gateway, key_alias=mine, user_id=user_id)
    generate_key(ui_gateway, key_alias=theirs, user_id="someone-else")
    page = session.get(KEYS).text
    assert mine in page and theirs not in page
    nav = page.split('class="ui-nav"')[1].split("</nav>")[0]
    assert "Keys" in nav and "Teams" not in nav and "Users" not in nav


@pytest.mark.parametrize("path", ["/ui/keys/team/", "/ui/keys/user/", "/ui/keys/budget/", "/ui/keys/enduser/",
                                  "/ui/keys/team/add/", "/ui/keys/user/add/"])
def test_an_internal_user_cannot_open_admin_pages(internal_user, path):
    _, session = internal_user
    assert session.get(path).status_code == 403


def test_an_internal_user_creates_a_key_for_themselves_only(internal_user, ui_gateway):
    user_id, session = internal_user
    answer = session.post_form(f"{KEYS}add/", {"key_alias": unique("own"), "user_id": user_id})
    raw_key = NEW_KEY.search(answer.text).group(1)
    assert chat_status(ui_gateway, raw_key) == 200
    assert admin(ui_gateway, "/key/info", method="GET", params={"key": raw_key}).json()["info"]["user_id"] == user_id
    forged = unique("forged")
    answer = session.post_form(f"{KEYS}add/", {"key_alias": forged, "user_id": "someone-else"})
    assert NEW_KEY.search(answer.text) is None and "ui-form-error" in answer.text
    team_id = unique("team")
    admin(ui_gateway, "/team/new", {"team_id": team_id})
    answer = session.post_form(f"{KEYS}add/", {"key_alias": forged, "user_id": user_id, "team_id": team_id})
    assert NEW_KEY.search(answer.text) is None
    assert admin(ui_gateway, "/key/list", method="GET", params={"key_alias": forged}).json()["total_count"] == 0


def test_an_internal_user_cannot_touch_another_users_key(internal_user, admin_ui, ui_gateway):
    _, session = internal_user
    raw_key = generate_key(ui_gateway, key_alias=unique("victim"), user_id="someone-else")["key"]
    token = token_of(ui_gateway, raw_key)
    assert session.get(f"{KEYS}{token}/change/").status_code == 404
    blocked = session.post_form(KEYS, {"action": "block_keys", "_selected_action": [token], "index": "0"})
    assert blocked.status_code in (200, 302, 403)
    assert session.post_form(f"{KEYS}{token}/block/", {"blocked": "1"}, form_page=KEYS).status_code == 404
    assert session.post_form(f"{KEYS}{token}/regenerate/", {}, form_page=KEYS).status_code == 404
    assert chat_status(ui_gateway, raw_key) == 200


def test_an_internal_user_viewer_reads_and_creates_nothing(admin_ui, ui_gateway):
    user_id, session = person_with_login(admin_ui, ui_gateway, "internal_user_viewer", name="vera")
    raw_key = generate_key(ui_gateway, key_alias=unique("viewed"), user_id=user_id)["key"]
    token = token_of(ui_gateway, raw_key)
    assert session.get(f"{KEYS}{token}/change/").status_code == 200
    assert session.get(f"{KEYS}add/").status_code == 403
    session.post_form(KEYS, {"action": "block_keys", "_selected_action": [token], "index": "0"})
    assert session.post_form(f"{KEYS}{token}/block/", {"blocked": "1"}, form_page=KEYS).status_code == 403
    assert chat_status(ui_gateway, raw_key) == 200


def test_a_proxy_admin_viewer_reads_everything_and_changes_nothing(admin_ui, ui_gateway):
    _, session = person_with_login(admin_ui, ui_gateway, "proxy_admin_viewer", name="paula")
    team_id = unique("team")
    admin(ui_gateway, "/team/new", {"team_id": team_id, "team_alias": "Seen"})
    raw_key = generate_key(ui_gateway, key_alias=unique("anyones"), user_id="someone-else")["key"]
    token = token_of(ui_gateway, raw_key)
    for path in ("/ui/keys/team/", "/ui/keys/user/", "/ui/keys/budget/", "/ui/keys/enduser/", KEYS,
                 f"/ui/keys/team/{team_id}/change/", f"{KEYS}{token}/change/"):
        assert session.get(path).status_code == 200, path
    assert session.get("/ui/keys/team/add/").status_code == 403
    page = f"/ui/keys/team/{team_id}/change/"
    assert session.post_form(page, {"team_alias": "Changed"}, form_page=KEYS).status_code == 403
    assert session.post_form(f"/ui/keys/team/{team_id}/members/", {"operation": "add", "user_id": "x"},
                             form_page=KEYS).status_code == 403
    session.post_form(KEYS, {"action": "block_keys", "_selected_action": [token], "index": "0"})
    assert chat_status(ui_gateway, raw_key) == 200
    assert admin(ui_gateway, "/team/info", method="GET", params={"team_id": team_id}).json()["team_info"][
        "team_alias"] == "Seen"
