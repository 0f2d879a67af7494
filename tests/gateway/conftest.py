"""Fixtures shared by the gateway tests."""
from __future__ import annotations

import pytest

from tests.gateway.config_files import SECRET_KEY


@pytest.fixture
def azure_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GW_TEST_AZURE_API_BASE", "https://example-resource.openai.azure.com")
    monkeypatch.setenv("GW_TEST_AZURE_API_KEY", SECRET_KEY)
