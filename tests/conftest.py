"""Shared fixtures: a fake upstream on loopback and the real gateway serving a
config that points at it, driven over HTTP by the official openai SDK."""
from __future__ import annotations

import os
from pathlib import Path

import httpx
import openai
import pytest

from tests.fake_upstream import FakeUpstream
from tests.gateway_process import GatewayProcess

MASTER_KEY = "sk-test-master"
AZURE_API_VERSION = "2024-10-21"


def gateway_config(upstream: FakeUpstream) -> dict:
    """The test cast of model groups, every one pointing at the fake upstream."""

    def openai_model(group: str, model: str, **params) -> dict:
        return {"model_name": group, "litellm_params": {"model": f"openai/{model}", "api_base": upstream.openai_base,
                                                        "api_key": upstream.api_key, **params}}

    return {
        "model_list": [
            openai_model("gpt-4.1", "gpt-4.1"),
            openai_model("text-embedding-3-small", "text-embedding-3-small"),
            openai_model("slow-model", "slow-model", timeout=1),
            openai_model("wrong-key-model", "wrong-key-model", api_key="sk-not-the-upstream-key"),
            {"model_name": "azure-gpt", "litellm_params": {
                "model": "azure/gpt-4.1-deployment", "api_base": upstream.url, "api_key": upstream.api_key,
                "api_version": AZURE_API_VERSION}},
            {"model_name": "azure-embedding", "litellm_params": {
                "model": "azure/embedding-deployment", "api_base": upstream.url, "api_key": upstream.api_key,
                "api_version": AZURE_API_VERSION}},
            {"model_name": "mock-gpt", "litellm_params": {"model": "mock/echo"}},
        ],
        # One attempt and no cooldowns: these tests check what one call does; the
        # router's retries and cooldowns are tested on gateways of their own.
        "router_settings": {"model_group_alias": {"gpt-4": "gpt-4.1"}, "num_retries": 0,
                            "disable_cooldowns": True},
    }


@pytest.fixture(scope="session", autouse=True)
def gateway_database(tmp_path_factory):
    """Gateways started by the tests share one database: DATABASE_URL when set
    (CI: PostgreSQL), else a SQLite file of this run, never the developer's own."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'gateway-tests.sqlite3'}"
    os.environ["DATABASE_URL"] = url
    yield url
    del os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def upstream():
    with FakeUpstream() as server:
        yield server


@pytest.fixture(autouse=True)
def clean_upstream(request):
    if "upstream" in request.fixturenames:
        request.getfixturevalue("upstream").reset()


@pytest.fixture(scope="session")
def gateway(upstream, tmp_path_factory):
    with GatewayProcess(gateway_config(upstream), tmp_path_factory.mktemp("gateway"), master_key=MASTER_KEY) as proc:
        yield proc


@pytest.fixture
def client(gateway) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=MASTER_KEY, max_retries=0, timeout=20)


@pytest.fixture
def azure_client(gateway) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(azure_endpoint=gateway.url, api_key=MASTER_KEY, api_version=AZURE_API_VERSION,
                              max_retries=0, timeout=20)


@pytest.fixture
def http(gateway) -> httpx.Client:
    with httpx.Client(base_url=gateway.url, timeout=20) as session:
        yield session


def auth(key: str = MASTER_KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def start_gateway(tmp_path):
    """Start gateways of a test's own; each is stopped when the test ends."""
    started: list[GatewayProcess] = []

    def start(config: dict | Path, **options) -> GatewayProcess:
        name = f"gateway{len(started)}"
        process = GatewayProcess(config, tmp_path, name=name, master_key=MASTER_KEY, **options).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()
