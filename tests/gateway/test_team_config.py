"""The config teams run on LiteLLM today (tests/gateway/configs/team_config.yaml)
starts and serves unchanged, and says loudly what it asks for that the gateway
does not do yet: its guardrail is NOT ENFORCED, its cache and Phoenix callback
are not acted on."""
from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import MASTER_KEY, auth
from tests.fake_upstream import FakeUpstream
from tests.gateway_process import REPO_ROOT

TEAM_CONFIG = Path(__file__).parent / "configs" / "team_config.yaml"
AZURE_ROUTE = "/openai/deployments/gpt-4.1/chat/completions"


@pytest.fixture
def team_upstream():
    # A key of its own: the deployments' ids hash their resolved keys, so no
    # cooldown another run left in a shared Redis applies to this one.
    with FakeUpstream(api_key=f"sk-team-{uuid.uuid4().hex[:12]}") as server:
        yield server


def team_env(upstream: FakeUpstream) -> dict[str, str]:
    return {"AZURE_API_BASE": upstream.url, "AZURE_API_KEY": upstream.api_key,
            "OPENAI_API_KEY": upstream.api_key, "OPENAI_API_BASE": upstream.openai_base}


@pytest.fixture
def team_gateway(team_upstream, start_gateway):
    return start_gateway(TEAM_CONFIG, env=team_env(team_upstream))


def test_the_team_config_serves_gpt_4_1_through_both_deployments(team_gateway, team_upstream):
    client = openai.OpenAI(base_url=f"{team_gateway.url}/v1", api_key=MASTER_KEY, max_retries=0, timeout=20)

    answers = [client.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
               for _ in range(24)]

    assert all(answer.choices[0].message.content for answer in answers)
    paths = [request.path for request in team_upstream.requests]
    assert paths.count(AZURE_ROUTE) > 0
    assert paths.count("/v1/chat/completions") > 0
    assert paths.count(AZURE_ROUTE) + paths.count("/v1/chat/completions") == 24
    assert {request.body["model"] for request in team_upstream.requests if request.path.startswith("/v1/")} \
        == {"gpt-4.1"}


def test_the_team_config_falls_back_to_gpt_4_1_mini_when_both_deployments_fail(team_gateway, team_upstream):
    team_upstream.set_behaviour("gpt-4.1", kind="status", status=500)

    answer = httpx.post(f"{team_gateway.url}/v1/chat/completions", headers=auth(), timeout=30,
                        json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})

    assert answer.status_code == 200, answer.text
    assert answer.headers["x-litellm-attempted-fallbacks"] == "1"
    assert answer.json()["model"] == "gpt-4.1-mini"
    assert team_upstream.requests[-1].body["model"] == "gpt-4.1-mini"


def test_the_alias_naming_its_own_group_is_a_warning_and_the_group_is_listed_once(team_gateway):
    models = httpx.get(f"{team_gateway.url}/v1/models", headers=auth(), timeout=10).json()

    assert [model["id"] for model in models["data"]] == ["gpt-4.1", "gpt-4.1-mini"]
    assert "model_group_alias: 'gpt-4.1' names its own group; the alias changes nothing" in team_gateway.log()


def test_readiness_lists_the_settings_the_gateway_does_not_act_on(team_gateway):
    ready = httpx.get(f"{team_gateway.url}/health/readiness", timeout=10)

    assert ready.status_code == 200
    body = ready.json()
    assert body["not_enforced"] == [
        "litellm_settings.guardrails[0] (prompt_injection): NOT ENFORCED: guardrails are not run: prompts and "
        "answers pass unscreened"]
    not_acted_on = [line.split(":")[0] for line in body["not_acted_on"]]
    assert not_acted_on == ["litellm_settings.drop_params", "litellm_settings.cache", "litellm_settings.cache_params",
                            "litellm_settings.success_callback[0] (arize_phoenix)", "litellm_settings.allow_user_auth"]
    assert body["skipped_deployments"] == []


def test_start_up_logs_the_guardrail_at_error_level_saying_not_enforced(team_gateway):
    log = team_gateway.log()

    [line] = [line for line in log.splitlines() if "guardrails[0]" in line]
    assert " ERROR gateway.serve: " in line
    assert line.endswith("litellm_settings.guardrails[0] (prompt_injection): NOT ENFORCED: guardrails are not "
                         "run: prompts and answers pass unscreened")
    assert any(" WARNING gateway.serve: " in line and "litellm_settings.cache: accepted, not acted on yet" in line
               for line in log.splitlines())


def check_config(path: Path, *flags: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check_config", str(path), *flags], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


def test_check_config_strict_fails_on_the_unenforced_guardrail_and_passes_without_it(tmp_path, team_upstream):
    import os

    env = {**os.environ, **team_env(team_upstream), "LITELLM_MASTER_KEY": MASTER_KEY}
    without_guardrail = tmp_path / "without_guardrail.yaml"
    text = TEAM_CONFIG.read_text()
    without_guardrail.write_text(text[:text.index("  guardrails:")] + text[text.index("general_settings:"):])

    plain = check_config(TEAM_CONFIG, env=env)
    strict = check_config(TEAM_CONFIG, "--strict", env=env)
    strict_without = check_config(without_guardrail, "--strict", env=env)

    assert plain.returncode == 0, plain.stderr
    assert "error: " in plain.stderr and "guardrails[0] (prompt_injection): NOT ENFORCED" in plain.stderr
    assert plain.stdout.splitlines()[-1].endswith(
        "OK (2 model groups; 1 settings NOT ENFORCED; 5 settings not acted on yet)")
    assert strict.returncode == 1
    assert "--strict: 1 setting(s) that restrict access, spend or content are NOT ENFORCED" in strict.stderr
    assert strict_without.returncode == 0, strict_without.stderr
    assert "NOT ENFORCED" not in strict_without.stderr
