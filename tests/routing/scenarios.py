"""Building blocks for router scenarios: deployments on the fake upstream with
ids unique to each test, so cooldowns and counters never leak between tests
(they may live in a Redis shared by the whole run)."""
from __future__ import annotations

import uuid

import httpx

from tests.conftest import MASTER_KEY


def openai_deployment(upstream, group: str, upstream_model: str, **params) -> dict:
    model_info = {"id": f"{upstream_model}-{uuid.uuid4().hex[:8]}"}
    return {"model_name": group, "litellm_params": {"model": f"openai/{upstream_model}",
                                                    "api_base": upstream.openai_base, "api_key": upstream.api_key,
                                                    **params},
            "model_info": model_info}


def chat(gateway, model: str, **extra) -> httpx.Response:
    return httpx.post(f"{gateway.url}/v1/chat/completions", timeout=30,
                      headers={"Authorization": f"Bearer {MASTER_KEY}"},
                      json={"model": model, "messages": [{"role": "user", "content": "hi"}], **extra})


def served_by(upstream) -> list[str]:
    """The upstream model of every request the fake upstream received, in order."""
    return [request.body["model"] for request in upstream.requests if request.body]
