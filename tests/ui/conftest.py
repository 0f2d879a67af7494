"""Fixtures for /ui: one gateway on the fake upstream with the master key, a
logged-in admin session over HTTP, and headless Chromium (Debian's package,
driven by Playwright) for the end-to-end tests."""
from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import MASTER_KEY, gateway_config
from tests.gateway_process import GatewayProcess
from tests.ui.ui_session import logged_in

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Chromium reaches for Google's hosts at start unless told not to: nothing may leave loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def ui_gateway(upstream, tmp_path_factory):
    with GatewayProcess(gateway_config(upstream), tmp_path_factory.mktemp("ui-gateway"), master_key=MASTER_KEY,
                        name="ui") as proc:
        yield proc


@pytest.fixture
def admin_ui(ui_gateway):
    session = logged_in(ui_gateway.url, "admin", MASTER_KEY)
    yield session
    session.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium. .ci/run installs Debian's chromium; elsewhere these
    tests are skipped when it is missing. Per module: Playwright's sync API
    keeps an event loop running in the main thread while it is open, and
    asyncio.run() in later tests refuses to start beside it."""
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    yield context.new_page()
    context.close()
