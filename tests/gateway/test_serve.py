"""`manage.py serve`: health probes, workers, master key sources, embedded default."""
import httpx
import pytest

from tests.gateway_process import GatewayProcess

MOCK_ONLY = {"model_list": [{"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}}]}
CHAT = {"model": "mock-gpt", "messages": [{"role": "user", "content": "hi"}]}


def test_liveliness_needs_no_key(http):
    answer = http.get("/health/liveliness")

    assert answer.status_code == 200 and answer.json() == "I'm alive!"


def test_readiness_reports_database_and_cache(http):
    answer = http.get("/health/readiness")

    assert answer.status_code == 200
    assert answer.json()["status"] == "healthy" and answer.json()["db"] == "connected"


def test_readiness_is_503_when_redis_is_unreachable(tmp_path):
    env = {"REDIS_URL": "redis://127.0.0.1:1/0"}
    with GatewayProcess(MOCK_ONLY, tmp_path, env=env) as proc:
        answer = httpx.get(f"{proc.url}/health/readiness")

    assert answer.status_code == 503
    assert answer.json()["status"] == "unhealthy" and "not connected" in answer.json()["cache"]


def test_several_workers_serve_through_gunicorn(tmp_path):
    with GatewayProcess(MOCK_ONLY, tmp_path, workers=2) as proc:
        answers = [httpx.post(f"{proc.url}/v1/chat/completions", json=CHAT,
                              headers={"Authorization": "Bearer sk-test-master"}) for _ in range(4)]
        log = proc.log()

    assert [a.status_code for a in answers] == [200] * 4
    assert "gunicorn" in log.lower() or "Booting worker" in log


def test_the_master_key_can_come_from_general_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_MASTER", "sk-from-config")
    config = {**MOCK_ONLY, "general_settings": {"master_key": "os.environ/MY_MASTER"}}
    with GatewayProcess(config, tmp_path, master_key=None) as proc:
        good = httpx.post(f"{proc.url}/v1/chat/completions", json=CHAT,
                          headers={"Authorization": "Bearer sk-from-config"})
        bad = httpx.post(f"{proc.url}/v1/chat/completions", json=CHAT, headers={"Authorization": "Bearer sk-x"})

    assert good.status_code == 200 and bad.status_code == 401


def test_without_a_master_key_auth_is_off_and_serve_warns(tmp_path):
    with GatewayProcess(MOCK_ONLY, tmp_path, master_key=None) as proc:
        answer = httpx.post(f"{proc.url}/v1/chat/completions", json=CHAT)
        log = proc.log()

    assert answer.status_code == 200
    assert "No master key" in log


@pytest.mark.parametrize("setting, expected", [("model_group", "mock-gpt"), ("provider", "echo")])
def test_the_answers_model_field_is_configurable(tmp_path, setting, expected):
    config = {**MOCK_ONLY, "general_settings": {"response_model_name": setting}}
    with GatewayProcess(config, tmp_path) as proc:
        answer = httpx.post(f"{proc.url}/v1/chat/completions", json=CHAT,
                            headers={"Authorization": "Bearer sk-test-master"})

    assert answer.json()["model"] == expected


def test_serve_without_a_config_uses_the_offline_default(tmp_path):
    with GatewayProcess(None, tmp_path) as proc:
        answer = httpx.post(f"{proc.url}/v1/chat/completions", headers={"Authorization": "Bearer sk-test-master"},
                            json={"model": "gpt-4.1", "messages": [{"role": "user", "content": "hi"}]})

    assert answer.status_code == 200
    assert answer.json()["choices"][0]["message"]["content"] == "Hello from the gateway's offline mock model."
