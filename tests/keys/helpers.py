"""Small helpers for tests of keys over HTTP."""
from __future__ import annotations

import time

import httpx
import openai

from tests.conftest import MASTER_KEY

MOCK_CONFIG = {"model_list": [{"model_name": name, "litellm_params": {"model": f"mock/{name}"}}
                              for name in ("gpt-4.1", "gpt-4.1-mini", "mock-gpt")]}


def admin(gateway, path: str, body: dict | None = None, *, key: str = MASTER_KEY, method: str = "POST",
          params: dict | None = None) -> httpx.Response:
    return httpx.request(method, f"{gateway.url}{path}", json=body, params=params, timeout=20,
                         headers={"Authorization": f"Bearer {key}"})


def generate_key(gateway, **fields) -> dict:
    answer = admin(gateway, "/key/generate", fields)
    assert answer.status_code == 200, answer.text
    return answer.json()


def sdk(gateway, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=key, max_retries=0, timeout=20)


def chat_status(gateway, key: str, model: str = "mock-gpt") -> int:
    return httpx.post(f"{gateway.url}/v1/chat/completions", headers={"Authorization": f"Bearer {key}"}, timeout=20,
                      json={"model": model, "messages": [{"role": "user", "content": "hi"}]}).status_code


def eventually(condition, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()
