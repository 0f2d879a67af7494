"""gateway/management/commands/check_config.py (and serve's refusal to start on a
bad config), run as real `python manage.py ...` processes."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.gateway_process import REPO_ROOT, free_port

VALID = """\
    model_list:
      - model_name: gpt-4.1
        litellm_params: {model: openai/gpt-4.1, api_key: sk-upstream-secret}
      - model_name: mock-gpt
        litellm_params: {model: mock/echo}
        model_info: {id: mock-dep-1}
      - model_name: gpt-4.1
        litellm_params: {model: openai/gpt-4.1-mini, api_key: sk-upstream-secret}
    """

# What the gateway cannot run on: a master key it cannot read, a section that is not one.
INVALID = """\
    general_settings:
      master_key: [sk-one, sk-two]
    router_settings: 3
    """

def write_config(directory: Path, text: str, name: str = "litellm_config.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def manage(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "CONFIG_FILE_PATH"}
    environment.update(env or {})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def test_a_valid_config_exits_zero_and_lists_each_group_with_its_deployments(tmp_path):
    path = write_config(tmp_path, VALID)

    result = manage("check_config", str(path))

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("  gpt-4.1: openai/gpt-4.1 [")
    assert "openai/gpt-4.1-mini [" in lines[0]
    assert lines[1] == "  mock-gpt: mock/echo [mock-dep-1]"
    assert lines[-1].endswith(f"{path}: OK (2 model groups)")
    assert "sk-upstream-secret" not in result.stdout + result.stderr


def test_the_deployment_ids_printed_are_the_same_in_every_process(tmp_path):
    path = write_config(tmp_path, VALID)

    first = manage("check_config", str(path), env={"PYTHONHASHSEED": "1"})
    second = manage("check_config", str(path), env={"PYTHONHASHSEED": "2"})

    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout


def test_warnings_go_to_stderr_and_do_not_fail_the_check(tmp_path):
    path = write_config(tmp_path, textwrap.dedent(VALID) + "made_up_section: {a: 1}\n")

    result = manage("check_config", str(path))

    assert result.returncode == 0
    assert f"warning: {path}: top level: made_up_section: unknown section, ignored" in result.stderr
    assert "OK (2 model groups)" in result.stdout


def test_a_config_the_gateway_cannot_run_exits_non_zero_with_each_problem_on_its_own_stderr_line(tmp_path):
    path = write_config(tmp_path, INVALID)

    result = manage("check_config", str(path))

    assert result.returncode != 0
    lines = result.stderr.splitlines()
    assert "2 problem(s), the gateway would not start" in lines[0]
    assert any(line.startswith(f"{path}: general_settings: master_key: must be a string") for line in lines)
    assert f"{path}: router_settings: router_settings: must be a mapping of settings" in lines
    assert "Traceback" not in result.stderr
    assert "OK" not in result.stdout


def test_deployments_it_cannot_serve_are_errors_on_stderr_and_the_check_passes(tmp_path, monkeypatch):
    monkeypatch.delenv("AZURE_API_BASE", raising=False)
    path = write_config(tmp_path, VALID.rstrip() + """
      - model_name: claude
        litellm_params: {model: anthropic/claude-x}
      - model_name: azure-gpt
        litellm_params: {model: azure/gpt-deployment, api_key: k}
      - model_name: broken
        litellm_params: {model: openai/gpt-4.1, rpm: ten}
    """)

    result = manage("check_config", str(path))

    assert result.returncode == 0, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {path}: model_list[3] (claude): not served: litellm_params.model: the anthropic API is not "
        "served yet (only providers that speak OpenAI's API, and Azure)",
        f"error: {path}: model_list[4] (azure-gpt): not served: litellm_params.api_base: is required for azure/ "
        "deployments (https://<resource>.openai.azure.com), or set AZURE_API_BASE",
        f"error: {path}: model_list[5] (broken): not served: litellm_params.rpm: must be a whole number, got 'ten'",
    ]
    assert result.stdout.splitlines()[-1].endswith(f"{path}: OK (2 model groups; 3 deployments not served)")
    assert "Traceback" not in result.stderr


def test_a_missing_file_exits_non_zero_naming_it(tmp_path):
    path = tmp_path / "absent.yaml"

    result = manage("check_config", str(path))

    assert result.returncode != 0
    assert f"{path}: cannot read the config file" in result.stderr


def test_without_a_path_the_file_named_by_config_file_path_is_checked(tmp_path):
    path = write_config(tmp_path, INVALID)

    result = manage("check_config", env={"CONFIG_FILE_PATH": str(path)})

    assert result.returncode != 0
    assert f"{path}: router_settings: router_settings" in result.stderr


def test_serve_with_an_invalid_config_exits_promptly_without_listening(tmp_path):
    path = write_config(tmp_path, INVALID)
    port = free_port()

    result = manage("serve", "--config", str(path), "--host", "127.0.0.1", "--port", str(port), timeout=30)

    assert result.returncode != 0
    assert "invalid config, not starting" in result.stderr
    assert f"{path}: router_settings: router_settings: must be a mapping of settings" in result.stderr
    assert "listening" not in result.stdout
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
