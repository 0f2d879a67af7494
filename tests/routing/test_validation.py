"""check_config reports routing mistakes before anything is served; as LiteLLM starts on
all of them, they are warnings and the config starts (routing/validation.py)."""
import subprocess
import sys

import pytest
import yaml

from gateway.config.loader import load_config
from gateway.proxy.runtime import build_runtime
from routing.strategies import STRATEGIES
from tests.gateway_process import REPO_ROOT

GROUPS = [{"model_name": name, "litellm_params": {"model": f"mock/{name}"}} for name in ("a", "b", "c")]


def check(tmp_path, router_settings: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"model_list": GROUPS, "router_settings": router_settings}))
    return subprocess.run([sys.executable, "manage.py", "check_config", str(path)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("settings, expected", [
    ({"routing_strategy": "fastest-please"}, "unknown strategy 'fastest-please', simple-shuffle is used"),
    ({"fallbacks": [{"a": ["b"]}, {"b": ["c"]}, {"c": ["a"]}]}, "fallback cycle a -> b -> c -> a"),
    ({"fallbacks": [{"a": ["nowhere"]}]}, "a -> 'nowhere' is not a model group"),
    ({"context_window_fallbacks": [{"ghost": ["a"]}]}, "'ghost' is not a model group"),
    ({"default_fallbacks": ["missing"]}, "default_fallbacks: 'missing' is not a model group"),
    ({"model_group_alias": {"x": "missing"}}, "x -> 'missing' is not a model group"),
    ({"model_group_alias": {"a": "b"}}, "'a' is also a model group"),
    ({"model_group_alias": {"a": {"model": "a", "hidden": False}}}, "'a' names its own group"),
])
def test_routing_mistakes_litellm_starts_on_are_warnings_and_the_config_starts(tmp_path, settings, expected):
    result = check(tmp_path, settings)

    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stderr.splitlines() if expected in line]
    assert line.startswith("warning: ")


def test_a_deployment_with_rpm_zero_is_a_warning_that_it_can_never_be_reached(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"model_list": [{"model_name": "a", "litellm_params": {"model": "mock/a",
                                                                                         "rpm": 0}}]}))
    result = subprocess.run([sys.executable, "manage.py", "check_config", str(path)], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0
    assert "warning: " in result.stderr and "litellm_params.rpm: a limit of 0" in result.stderr


def test_a_sound_routing_config_passes_without_warnings(tmp_path):
    result = check(tmp_path, {"routing_strategy": "least-busy", "fallbacks": [{"a": ["b"]}, {"*": ["c"]}],
                              "model_group_alias": {"alias": "a"}})

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_an_unknown_strategy_routes_with_simple_shuffle(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"model_list": GROUPS, "router_settings": {"routing_strategy": "fastest-please"}}))

    runtime = build_runtime(load_config(path))

    assert runtime.router.strategy is STRATEGIES["simple-shuffle"]
