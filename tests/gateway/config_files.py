"""Writing config files for the config tests, and reading their problems."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gateway.config.loader import load_config
from gateway.config.schema import ConfigError

SECRET_KEY = "sk-azure-secret-1234567890"


def write_config(directory: Path, text: str, name: str = "litellm_config.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def unset_env(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Unset `name` now and whatever the loader exports under it after the test."""
    monkeypatch.setenv(name, "placeholder")
    monkeypatch.delenv(name)


LITELLM_STYLE_CONFIG = """\
    model_list:
      - model_name: gpt-4o
        litellm_params:
          model: azure/my-gpt4o-deployment
          api_base: os.environ/GW_TEST_AZURE_API_BASE
          api_key: os.environ/GW_TEST_AZURE_API_KEY
          api_version: 2024-10-21
          rpm: 600
          tpm: 100000
          timeout: 60
          weight: 2
          order: 1
        model_info: {id: dep-1, mode: chat, base_model: azure/gpt-4o}
      - model_name: gpt-4o
        litellm_params:
          model: openai/gpt-4o
          api_key: sk-openai
          timeout: 12.5
    router_settings:
      routing_strategy: least-busy
      num_retries: 3
      fallbacks: [{gpt-4o: [gpt-4o-mini]}]
    litellm_settings:
      drop_params: true
      request_timeout: 30
    general_settings:
      master_key: sk-master
      allow_client_side_credentials: true
    """
