"""Helpers of the spend dashboard and logs tests: calls through the openai SDK
that land in the spend log, and a /ui login for an internal user."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
import uuid
from decimal import Decimal

import openai

from tests.gateway_process import REPO_ROOT
from tests.keys.helpers import admin, eventually, generate_key, sdk


def unique(prefix: str) -> str:
    """Names of this test's own: the gateway and its database outlive one test."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(gateway, key: str, *, tags: list[str] | None = None, model: str = "gpt-4.1", text: str = "hello",
         metadata: dict | None = None) -> str:
    """One chat call; returns its request id (x-litellm-call-id)."""
    extra = {name: value for name, value in (("tags", tags), ("metadata", metadata)) if value}
    answer = sdk(gateway, key).chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": text}], extra_body=extra or None)
    return answer.headers["x-litellm-call-id"]


def failing_call(gateway, key: str) -> None:
    try:
        sdk(gateway, key).chat.completions.create(model="wrong-key-model",
                                                  messages=[{"role": "user", "content": "hi"}])
    except openai.APIStatusError:
        return
    raise AssertionError("wrong-key-model answered")


def logs_of_key(gateway, token: str) -> list[dict]:
    return admin(gateway, "/spend/logs", method="GET", params={"api_key": token}).json()


def wait_for_logs(gateway, token: str, count: int) -> list[dict]:
    """Spend is written in batches off the request path: wait until the key's rows are there."""
    assert eventually(lambda: len(logs_of_key(gateway, token)) == count, seconds=15), logs_of_key(gateway, token)
    return logs_of_key(gateway, token)


def key_spend(gateway, token: str) -> Decimal:
    info = admin(gateway, "/key/info", method="GET", params={"key": token}).json()["info"]
    return Decimal(str(info["spend"]))


def parse_csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def internal_user(gateway, password: str) -> tuple[str, dict]:
    """A new internal_user with a key and a /ui login (a Django account named after the user_id)."""
    user_id = unique("ann")
    assert admin(gateway, "/user/new", {"user_id": user_id, "user_role": "internal_user"}).status_code == 200
    key = generate_key(gateway, user_id=user_id, key_alias=unique("ann-key"))
    code = ("from django.contrib.auth.models import User as A; "
            f"a = A(username={user_id!r}, is_staff=True); a.set_password({password!r}); a.save()")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO_ROOT, env=gateway.env, check=True,
                   capture_output=True, timeout=60)
    return user_id, key
