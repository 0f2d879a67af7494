"""Logging into /ui: the master key or UI_PASSWORD, constant-time compared,
nothing secret stored, lockout after repeated failures, DISABLE_ADMIN_UI."""
from __future__ import annotations

import os

import httpx
import pytest
import redis

from tests.conftest import MASTER_KEY
from tests.gateway_process import GatewayProcess
from tests.ui.ui_session import UISession, logged_in


def test_master_key_logs_in_as_admin_and_sees_the_overview(ui_gateway):
    session = logged_in(ui_gateway.url, "admin", MASTER_KEY)
    home = session.get("/ui/")
    assert home.status_code == 200
    assert "Overview" in home.text and "Keys" in home.text
    cookies = " ".join(f"{name}={value}" for name, value in session.http.cookies.items())
    assert MASTER_KEY not in cookies and MASTER_KEY not in home.text


def test_wrong_password_shows_the_form_again_and_no_page(ui_gateway):
    session = UISession(ui_gateway.url)
    answer = session.login("admin", "sk-wrong")
    assert answer.status_code == 200 and "Wrong username or password" in answer.text
    assert session.get("/ui/keys/virtualkey/").status_code == 302  # to the login page


def test_pages_need_a_session(ui_gateway):
    answer = httpx.get(f"{ui_gateway.url}/ui/keys/virtualkey/", headers={"Authorization": f"Bearer {MASTER_KEY}"})
    assert answer.status_code == 302 and answer.headers["location"].startswith("/ui/login/")


def test_login_without_csrf_token_is_refused(ui_gateway):
    answer = httpx.post(f"{ui_gateway.url}/ui/login/", data={"username": "admin", "password": MASTER_KEY})
    assert answer.status_code == 403


def test_session_is_signed_alike_by_every_worker_and_survives_a_restart(upstream, tmp_path):
    """No DJANGO_SECRET_KEY: the secret stored in the database signs sessions in
    both workers, and again after the gateway restarts."""
    config = {"model_list": [{"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}}]}
    env = {"DJANGO_SECRET_KEY": ""}
    with GatewayProcess(config, tmp_path, env=env, workers=2, name="ui-secret") as gateway:
        session = logged_in(gateway.url, "admin", "sk-test-master")
        statuses = {session.get("/ui/").status_code for _ in range(12)}
        assert statuses == {200}
    with GatewayProcess(config, tmp_path, env=env, name="ui-secret-again") as gateway:
        session.http.base_url = gateway.url
        assert session.get("/ui/").status_code == 200


def test_repeated_failures_lock_the_login_even_for_the_right_password(upstream, tmp_path):
    config = {"model_list": [{"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}}]}
    env = {"MAX_LOGIN_ATTEMPTS": "3"}
    if os.environ.get("REDIS_URL"):  # counters of its own, so the lockout leaves the other tests' logins alone
        env["REDIS_URL"] = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/13"
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    with GatewayProcess(config, tmp_path, env=env, name="ui-lockout") as gateway:
        session = UISession(gateway.url)
        for _ in range(3):
            assert "Wrong username or password" in session.login("admin", "sk-guess").text
        locked = session.login("admin", "sk-test-master")
        assert locked.status_code == 200 and "Too many failed logins" in locked.text


def test_ui_password_replaces_the_master_key_for_the_login(upstream, tmp_path):
    config = {"model_list": [{"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}}]}
    env = {"UI_USERNAME": "boss", "UI_PASSWORD": "correct horse battery"}
    with GatewayProcess(config, tmp_path, env=env, name="ui-password") as gateway:
        assert UISession(gateway.url).login("boss", "sk-test-master").status_code == 200  # refused
        assert UISession(gateway.url).login("admin", "correct horse battery").status_code == 200  # refused
        logged_in(gateway.url, "boss", "correct horse battery")


@pytest.mark.parametrize("path", ["/ui/", "/ui/login/", "/ui/static/ui/gateway.css"])
def test_disable_admin_ui_turns_every_ui_path_off(upstream, tmp_path, path):
    config = {"model_list": [{"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}}]}
    with GatewayProcess(config, tmp_path, env={"DISABLE_ADMIN_UI": "True"}, name="ui-off") as gateway:
        answer = httpx.get(f"{gateway.url}{path}")
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "404"


def test_static_files_are_served_and_cannot_escape(ui_gateway):
    css = httpx.get(f"{ui_gateway.url}/ui/static/ui/gateway.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{ui_gateway.url}/ui/static/admin/css/base.css").status_code == 200
    for escape in ("../../gateway/settings.py", "%2e%2e/%2e%2e/gateway/settings.py", "%2Fetc/passwd"):
        answer = httpx.get(f"{ui_gateway.url}/ui/static/{escape}")
        assert answer.status_code in (400, 404) and "SECRET_KEY" not in answer.text
