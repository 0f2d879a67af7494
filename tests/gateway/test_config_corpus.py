"""Every real-world LiteLLM config LiteLLM starts on, the gateway starts on.

The corpus is ../shared/litellm-configs (60 files from public repositories; its
SOURCES.md says where each comes from), kept beside the checkout, not in it:
third-party files are not ours to commit. Each file is checked as `serve` reads
it, with every environment variable it names set to a dummy value. Files that
are not valid YAML (LiteLLM cannot parse them either) are left out.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from tests.gateway_process import REPO_ROOT


def corpus_dir() -> Path | None:
    explicit = os.environ.get("LITELLM_CONFIG_CORPUS")
    if explicit:
        return Path(explicit)
    for parent in REPO_ROOT.parents:
        candidate = parent / "shared" / "litellm-configs"
        if candidate.is_dir():
            return candidate
    return None


def parseable_configs() -> list[Path]:
    directory = corpus_dir()
    if directory is None:
        return []
    found = []
    for path in sorted(directory.glob("*.y*ml")):
        try:
            yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        found.append(path)
    return found


def dummy_value(name: str) -> str:
    if "PORT" in name:
        return "6379"
    if any(part in name for part in ("BASE", "URL", "HOST", "ENDPOINT")):
        return "http://127.0.0.1:9"
    return "dummy"


@pytest.fixture
def restored_environment():
    """Configs export their environment_variables: none may outlive its test."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


CONFIGS = parseable_configs()


@pytest.mark.skipif(not CONFIGS, reason="no ../shared/litellm-configs beside the checkout "
                                        "(set LITELLM_CONFIG_CORPUS to its path)")
@pytest.mark.parametrize("path", CONFIGS, ids=[path.name for path in CONFIGS])
def test_check_config_accepts_a_config_litellm_starts_on(path, restored_environment, capsys):
    for name in set(re.findall(r"os\.environ/([A-Za-z0-9_]+)", path.read_text(encoding="utf-8"))):
        os.environ.setdefault(name, dummy_value(name))

    call_command("check_config", str(path))

    out = capsys.readouterr()
    assert f"{path}: OK (" in out.out
    assert "Traceback" not in out.err


@pytest.mark.skipif(not CONFIGS, reason="no ../shared/litellm-configs beside the checkout")
def test_the_corpus_is_all_there():
    assert len(CONFIGS) >= 59
