"""End to end in headless Chromium: what an admin does in /ui, checked by what
the gateway then does over HTTP (the openai SDK) and what the pages show.

Written against the /ui contract (keys, spend, logs); a step that fails says
which contract element it did not find.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid

import openai
import pytest

from tests.conftest import MASTER_KEY
from tests.gateway_process import REPO_ROOT
from tests.keys.helpers import admin, sdk

KEYS = "/ui/keys/virtualkey/"
KEY_ADD = "/ui/keys/virtualkey/add/"
SPEND = "/ui/spend/"
LOGS = "/ui/logs/"
ALIAS = "n8n-flow"
# Pages only readers of everything (proxy admins and viewers) reach.
ADMIN_ONLY = ("/ui/keys/auditentry/", "/ui/keys/user/", "/ui/keys/budget/", "/ui/keys/team/add/",
              "/ui/health/", "/ui/models/")
ADMIN_ONLY_NAVIGATION = ("Audit", "Users", "Budgets", "Customers", "Model health")
STEP_TIMEOUT_MS = 5_000
SPEND_WAIT_SECONDS = 15


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/ui/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_load_state()


def open_page(page, url: str, contract: str):
    """Go to `url`; fail naming the contract element when the page is not there."""
    answer = page.goto(url)
    assert answer is not None and answer.status == 200, (
        f"contract: {contract} — GET {url} answered {answer.status if answer else 'nothing'}")
    return answer


def element(page, selector: str, contract: str):
    locator = page.locator(selector)
    assert locator.count() > 0, f"contract: {contract} — no {selector} on {page.url}"
    return locator.first


def total_requests(page, base_url: str) -> int | None:
    """#ui-total-requests for yesterday..today (UTC), or None when the page is missing."""
    today = dt.datetime.now(dt.timezone.utc).date()
    answer = page.goto(f"{base_url}{SPEND}?start={today - dt.timedelta(days=1)}&end={today}&by=key")
    if answer is None or answer.status != 200 or page.locator("#ui-total-requests").count() == 0:
        return None
    return int(page.locator("#ui-total-requests").inner_text().strip().replace(",", ""))


def chat(client: openai.OpenAI):
    """One chat call; the answer and its request id (x-litellm-call-id, the spend log's key)."""
    raw = client.chat.completions.with_raw_response.create(
        model="mock-gpt", messages=[{"role": "user", "content": "hello from the browser test"}])
    return raw.parse(), raw.headers.get("x-litellm-call-id")


def test_it_creates_a_key_uses_it_sees_its_spend_and_logs_then_blocks_it(page, ui_gateway):
    base = ui_gateway.url
    page.set_default_timeout(STEP_TIMEOUT_MS)
    log_in(page, base, "admin", MASTER_KEY)
    assert page.url == f"{base}/ui/", f"the master key did not log in: landed on {page.url}"
    requests_before = total_requests(page, base)

    # Create the key; the answer page shows it once, with a copy button.
    open_page(page, f"{base}{KEY_ADD}", "key create page /ui/keys/virtualkey/add/")
    element(page, "[name=key_alias]", "key create form input key_alias").fill(ALIAS)
    element(page, "[name=models]", "key create form input models (comma-separated text)").fill("mock-gpt")
    element(page, "button#ui-create-key", "key create submit button#ui-create-key").click()
    page.wait_for_load_state()
    raw_key = element(page, "#ui-new-key", "#ui-new-key holding the raw key once").text_content()
    assert raw_key and raw_key.startswith("sk-") and raw_key == raw_key.strip(), (
        f"contract: #ui-new-key's text content is exactly the key, got {raw_key!r}")
    copy = element(page, "#ui-copy-key", "copy button #ui-copy-key")
    copy.click()
    page.wait_for_function("document.querySelector('#ui-copy-key').textContent.trim() === 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()") == raw_key, "contract: #ui-copy-key copies the raw key"

    open_page(page, f"{base}{KEYS}", "keys list /ui/keys/virtualkey/")
    assert raw_key not in page.content(), "the raw key shows again after its creation page"

    # The copied key works from the openai SDK.
    client = sdk(ui_gateway, raw_key)
    answer, request_id = chat(client)
    assert answer.choices[0].message.content
    assert request_id, "the gateway answered without x-litellm-call-id"

    # The spend dashboard counts it (spend is flushed in batches within seconds).
    deadline = time.monotonic() + SPEND_WAIT_SECONDS
    requests_now = total_requests(page, base)
    while requests_now is not None and requests_now <= (requests_before or 0) and time.monotonic() < deadline:
        time.sleep(0.5)
        requests_now = total_requests(page, base)
    assert requests_now is not None, "contract: spend dashboard /ui/spend/ with #ui-total-requests"
    assert requests_now >= 1 and requests_now > (requests_before or 0), (
        f"the spend dashboard still shows {requests_now} requests after the call (before: {requests_before})")
    spend_text = element(page, "#ui-total-spend", "#ui-total-spend on the spend dashboard").inner_text()
    assert spend_text.strip().startswith("$"), f"contract: #ui-total-spend shows dollars, got {spend_text!r}"
    element(page, "#ui-total-tokens", "#ui-total-tokens on the spend dashboard")
    element(page, "a[href*='format=csv'][href*='table=']", "a CSV link (?format=csv&table=<name>) per table")

    # The logs show the request under the key's alias, and its detail page.
    open_page(page, f"{base}{LOGS}?key_alias={ALIAS}", "logs /ui/logs/ filtered by key_alias")
    rows = element(page, "table#ui-logs", "table#ui-logs on /ui/logs/").locator("tr", has_text=ALIAS)
    assert rows.count() >= 1, f"contract: a row of table#ui-logs with the key alias {ALIAS!r}"
    open_page(page, f"{base}{LOGS}{request_id}/", "a request's detail at /ui/logs/<request_id>/")
    assert ALIAS in page.content() and "mock-gpt" in page.content(), "the log detail names the alias and the model"

    # Block it from the keys list: the next call is refused.
    open_page(page, f"{base}{KEYS}?q={raw_key}", "keys list search by a whole raw key (#searchbar)")
    element(page, "#searchbar", "keys list search box #searchbar")
    checkboxes = page.locator("input[name=_selected_action]")
    assert checkboxes.count() == 1, f"contract: searching a whole raw key lists that key alone, got {checkboxes.count()}"
    row = page.locator("#result_list tbody tr").first
    assert ALIAS in row.inner_text(), f"contract: the keys list row shows the alias {ALIAS!r}"
    assert "active" in row.locator(".ui-pill").inner_text(), "contract: a status pill `active` on the new key's row"
    checkboxes.first.check()
    action = element(page, "select[name=action]", "keys list action select[name=action]")
    assert action.locator("option[value=block_keys]").count() == 1, "contract: a keys list action named block_keys"
    action.select_option("block_keys")
    element(page, "button[name=index]", "keys list action button[name=index]").click()
    page.wait_for_load_state()
    open_page(page, f"{base}{KEYS}?q={raw_key}", "keys list after block_keys")
    assert "blocked" in page.locator("#result_list tbody tr .ui-pill").first.inner_text(), (
        "contract: the blocked key's row shows the pill `blocked`")
    with pytest.raises(openai.AuthenticationError):
        chat(client)


def test_it_shows_an_error_for_a_wrong_password_and_reaches_no_page(page, ui_gateway):
    base = ui_gateway.url
    log_in(page, base, "admin", "sk-not-the-master-key")
    assert page.url.startswith(f"{base}/ui/login/")
    assert "Wrong username or password" in page.locator(".errornote").inner_text()
    for path in ("/ui/", KEYS, KEY_ADD):
        page.goto(f"{base}{path}")
        assert page.url.startswith(f"{base}/ui/login/"), f"{path} showed without a login"
        assert page.locator("#id_password").count() == 1


def create_ui_login(user_id: str, password: str) -> None:
    """The UI account of an internal user, as the "Set UI password" page makes it,
    in the gateway's own database (DATABASE_URL of this test run)."""
    code = ("from django.contrib.auth.models import User as A; "
            f"a = A(username={user_id!r}, is_staff=True, is_superuser=False); "
            f"a.set_password({password!r}); a.save()")
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO_ROOT, env=os.environ.copy(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_it_keeps_an_internal_user_out_of_admin_pages(page, ui_gateway):
    base = ui_gateway.url
    user_id = f"flow-user-{uuid.uuid4().hex[:8]}"
    created = admin(ui_gateway, "/user/new", {"user_id": user_id, "user_role": "internal_user"})
    assert created.status_code == 200, created.text
    create_ui_login(user_id, "a long ui password")

    log_in(page, base, user_id, "a long ui password")
    assert page.url == f"{base}/ui/", f"the internal user did not log in: landed on {page.url}"
    navigation = page.locator("nav.ui-nav").inner_text()
    assert "Keys" in navigation
    for label in ADMIN_ONLY_NAVIGATION:
        assert label not in navigation, f"an internal user's navigation offers {label}"
    for path in ADMIN_ONLY:
        answer = page.goto(f"{base}{path}")
        assert answer is not None and answer.status in (403, 404) or page.url.startswith(f"{base}/ui/login/"), (
            f"an internal user reached {path} ({answer.status if answer else 'no answer'})")
    # The admin's own rows stay out of reach too: the master key's audit trail is not listed.
    page.goto(f"{base}/ui/keys/auditentry/")
    assert page.locator("#result_list").count() == 0
