"""/ui/keys/auditentry/: the audit log, newest first, each change as a
before/after table; read-only for everyone; "Verify chain" finds an edited row."""
from __future__ import annotations

import os
import re
import sqlite3
import uuid
from contextlib import contextmanager

import psycopg

from tests.keys.helpers import admin, generate_key


@contextmanager
def database():
    """The database the gateways of this run share (tests/conftest.py: gateway_database)."""
    url = os.environ["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    else:
        connection = psycopg.connect(url, autocommit=True)
    try:
        yield connection
    finally:
        connection.close()


def execute(sql: str, params: tuple) -> list[tuple]:
    placeholder = "?" if os.environ["DATABASE_URL"].startswith("sqlite") else "%s"
    with database() as connection:
        cursor = connection.execute(sql.replace("%s", placeholder), params)
        return cursor.fetchall() if cursor.description else []


def budget_changed(ui_gateway) -> dict:
    key = generate_key(ui_gateway, key_alias=f"audited-{uuid.uuid4().hex[:8]}", max_budget=5)
    answer = admin(ui_gateway, "/key/update", {"key": key["key"], "max_budget": 7.5})
    assert answer.status_code == 200, answer.text
    return key


def newest_row(html: str) -> str:
    body = html.split('id="result_list"', 1)[1]
    return re.search(r"<tbody>\s*<tr>(.*?)</tr>\s*<tr|<tbody>\s*<tr>(.*?)</tr>\s*</tbody>", body, re.S).group(0)


def test_a_change_made_through_the_api_is_listed_newest_first_with_its_before_and_after(admin_ui, ui_gateway):
    key = budget_changed(ui_gateway)

    page = admin_ui.get("/ui/keys/auditentry/")

    assert page.status_code == 200 and "Audit log" in page.text
    row = newest_row(page.text)
    assert "key_update" in row and key["token"] in row and "master_key" in row
    changed = re.findall(r'<tr><th>(\w+)</th><td class="before"[^>]*>([^<]*)</td>'
                         r'<td class="after"[^>]*>([^<]*)</td>', row)
    assert ("max_budget", "5", "7.5") in changed
    assert all(name != "key_alias" for name, _, _ in changed), "an unchanged field is listed"
    assert key["key"] not in page.text


def listed(html: str, column: str) -> list[str]:
    return re.findall(rf'<td class="field-{column}">([^<]*)</td>', html)


def test_filters_by_action_object_type_and_actor(admin_ui, ui_gateway):
    budget_changed(ui_gateway)

    updates = admin_ui.get("/ui/keys/auditentry/", params={"action": "key_update", "object_type": "key"})
    generated = admin_ui.get("/ui/keys/auditentry/", params={"action": "key_generate"})
    by_master = admin_ui.get("/ui/keys/auditentry/", params={"actor": "master_key"})
    nobody = admin_ui.get("/ui/keys/auditentry/", params={"actor": "nobody-at-all"})

    assert listed(updates.text, "action") and set(listed(updates.text, "action")) == {"key_update"}
    assert listed(generated.text, "action") and set(listed(generated.text, "action")) == {"key_generate"}
    assert listed(by_master.text, "actor") and set(listed(by_master.text, "actor")) == {"master_key"}
    assert nobody.status_code == 200 and listed(nobody.text, "action") == []
    assert '<option value="key_update" selected>' in updates.text  # the select keeps the choice


def test_no_one_may_add_change_or_delete_an_entry(admin_ui, ui_gateway):
    budget_changed(ui_gateway)
    entry_id = re.search(r'/ui/keys/auditentry/(\d+)/change/', admin_ui.get("/ui/keys/auditentry/").text).group(1)
    before = execute("SELECT actor, after FROM keys_auditentry WHERE id = %s", (int(entry_id),))

    assert admin_ui.get("/ui/keys/auditentry/add/").status_code == 403
    assert admin_ui.get(f"/ui/keys/auditentry/{entry_id}/delete/").status_code == 403
    assert admin_ui.post_form(f"/ui/keys/auditentry/{entry_id}/change/", {"actor": "mallory"},
                              form_page="/ui/keys/auditentry/").status_code == 403
    assert admin_ui.post_form("/ui/keys/auditentry/", {"action": "delete_selected", "_selected_action": entry_id,
                                                       "post": "yes"}).status_code in (200, 302)
    assert execute("SELECT actor, after FROM keys_auditentry WHERE id = %s", (int(entry_id),)) == before
    detail = admin_ui.get(f"/ui/keys/auditentry/{entry_id}/change/")
    assert detail.status_code == 200 and "max_budget" in detail.text
    assert 'name="_save"' not in detail.text and 'name="_continue"' not in detail.text


def test_verify_reports_an_intact_chain_then_the_row_edited_in_the_database(admin_ui, ui_gateway):
    budget_changed(ui_gateway)
    answer = admin_ui.post_form("/ui/keys/auditentry/verify/", {}, form_page="/ui/keys/auditentry/")
    assert answer.status_code == 302
    intact = admin_ui.get("/ui/keys/auditentry/").text
    assert re.search(r"Chain intact: \d+ rows? checked", intact), intact[:3000]

    entry_id, actor = execute("SELECT id, actor FROM keys_auditentry ORDER BY id DESC LIMIT 1", ())[0]
    execute("UPDATE keys_auditentry SET actor = %s WHERE id = %s", ("mallory", entry_id))
    try:
        admin_ui.post_form("/ui/keys/auditentry/verify/", {}, form_page="/ui/keys/auditentry/")
        broken = admin_ui.get("/ui/keys/auditentry/").text
    finally:
        execute("UPDATE keys_auditentry SET actor = %s WHERE id = %s", (actor, entry_id))

    assert f"Chain broken at entry {entry_id}: content does not match its hash" in broken


def test_verify_needs_a_post(admin_ui):
    assert admin_ui.get("/ui/keys/auditentry/verify/").status_code == 405
