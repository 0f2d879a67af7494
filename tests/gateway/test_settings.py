"""gateway/settings.py: what the environment decides."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.gateway_process import REPO_ROOT


def secret_key_with(env: dict[str, str]) -> str:
    environment = {name: value for name, value in os.environ.items() if name != "DJANGO_SECRET_KEY"}
    done = subprocess.run([sys.executable, "-c", "from gateway import settings; print(settings.SECRET_KEY)"],
                          cwd=REPO_ROOT, env={**environment, **env}, capture_output=True, text=True, timeout=60,
                          check=True)
    return done.stdout.strip()


def test_the_signing_secret_is_never_derived_from_the_master_key():
    first = secret_key_with({"LITELLM_MASTER_KEY": "sk-same-master"})
    second = secret_key_with({"LITELLM_MASTER_KEY": "sk-same-master"})

    assert first != second  # nothing to compute from the master key, so nothing to guess offline
    assert "sk-same-master" not in first and len(first) >= 50


def test_an_explicit_signing_secret_is_used_as_given():
    assert secret_key_with({"DJANGO_SECRET_KEY": "from-the-operator"}) == "from-the-operator"
