"""check_config catches routing mistakes before anything is served."""
import subprocess
import sys

import pytest
import yaml

from tests.gateway_process import REPO_ROOT

GROUPS = [{"model_name": name, "litellm_params": {"model": f"mock/{name}"}} for name in ("a", "b", "c")]


def check(tmp_path, router_settings: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"model_list": GROUPS, "router_settings": router_settings}))
    return subprocess.run([sys.executable, "manage.py", "check_config", str(path)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("settings, expected", [
    ({"routing_strategy": "fastest-please"}, "unknown strategy 'fastest-please'"),
    ({"fallbacks": [{"a": ["b"]}, {"b": ["c"]}, {"c": ["a"]}]}, "fallback cycle a -> b -> c -> a"),
    ({"fallbacks": [{"a": ["nowhere"]}]}, "a -> 'nowhere' is not a model group"),
    ({"context_window_fallbacks": [{"ghost": ["a"]}]}, "'ghost' is not a model group"),
    ({"default_fallbacks": ["missing"]}, "default_fallbacks: 'missing' is not a model group"),
    ({"model_group_alias": {"x": "missing"}}, "x -> 'missing' is not a model group"),
    ({"model_group_alias": {"a": "b"}}, "'a' is also a model group"),
])
def test_check_config_rejects(tmp_path, settings, expected):
    result = check(tmp_path, settings)

    assert result.returncode != 0
    assert expected in result.stderr


def test_a_deployment_with_rpm_zero_can_never_be_reached(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"model_list": [{"model_name": "a", "litellm_params": {"model": "mock/a",
                                                                                         "rpm": 0}}]}))
    result = subprocess.run([sys.executable, "manage.py", "check_config", str(path)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode != 0 and "litellm_params.rpm" in result.stderr


def test_a_sound_routing_config_passes(tmp_path):
    result = check(tmp_path, {"routing_strategy": "least-busy", "fallbacks": [{"a": ["b"]}, {"*": ["c"]}],
                              "model_group_alias": {"alias": "a"}})

    assert result.returncode == 0, result.stderr
