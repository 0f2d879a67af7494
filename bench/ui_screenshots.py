"""Screenshots of the main /ui pages for the README, in headless Chromium at 1360x900.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gateway_ui_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        python bench/ui_screenshots.py [--out docs/ui]

Starts the gateway on that database (fill it first: bench/ui_fill.py), logs in
with the master key and saves one PNG per page. The "key created" page creates
a real key on that database; its raw key is blanked out before the screenshot,
so no usable key ends up in a picture. A page that is not there (404) is
skipped and named at the end.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.ui_pages import CONFIG, MASTER_KEY  # noqa: E402
from tests.gateway_process import GatewayProcess  # noqa: E402
from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

VIEWPORT = {"width": 1360, "height": 900}
# A picture, not a timing (bench/ui_pages.py times the pages): wait for slow pages.
PAGE_TIMEOUT_MS = 180_000
BLANK_KEY = "sk-" + "•" * 22


def shots() -> list[tuple[str, str]]:
    today = dt.datetime.now(dt.timezone.utc).date()
    return [
        ("overview", "/ui/"),
        ("keys", "/ui/keys/virtualkey/"),
        ("spend", f"/ui/spend/?start={today - dt.timedelta(days=29)}&end={today}&by=team"),
        ("logs", "/ui/logs/"),
        ("model-health", "/ui/health/"),
        ("models", "/ui/models/"),
        ("audit", "/ui/keys/auditentry/"),
    ]


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/ui/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", MASTER_KEY)
    page.click("input[type=submit]")
    page.wait_for_load_state()
    if page.url != f"{base_url}/ui/":
        sys.exit(f"ui_screenshots: the master key did not log in (landed on {page.url})")


def shoot_key_created(page, base_url: str, out: Path) -> bool:
    """Create a key through the form, blank the raw key, take the picture."""
    answer = page.goto(f"{base_url}/ui/keys/virtualkey/add/")
    if answer is None or answer.status != 200 or page.locator("button#ui-create-key").count() == 0:
        return False
    page.fill("[name=key_alias]", "n8n-production")
    page.fill("[name=models]", "gpt-4.1, mock-gpt")
    if page.locator("[name=max_budget]").count():
        page.fill("[name=max_budget]", "50")
    page.click("button#ui-create-key")
    page.wait_for_load_state()
    if page.locator("#ui-new-key").count() == 0:
        return False
    page.evaluate("blank => { document.querySelector('#ui-new-key').textContent = blank; }", BLANK_KEY)
    page.screenshot(path=out / "key-created.png")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "ui")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("ui_screenshots: set DATABASE_URL to a database with some data (bench/ui_fill.py)")
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    skipped = []
    with tempfile.TemporaryDirectory(prefix="ui-shots-") as scratch, \
            GatewayProcess(CONFIG, Path(scratch), master_key=MASTER_KEY, name="ui-shots") as gateway, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        log_in(page, gateway.url)
        for name, path in shots():
            try:
                answer = page.goto(f"{gateway.url}{path}")
            except PlaywrightError as error:
                skipped.append(f"{name} ({error.message.splitlines()[0]})")
                continue
            if answer is None or answer.status != 200:
                skipped.append(f"{name} ({answer.status if answer else 'no answer'})")
                continue
            page.screenshot(path=args.out / f"{name}.png")
            print(f"  {args.out / (name + '.png')}")
        if shoot_key_created(page, gateway.url, args.out):
            print(f"  {args.out / 'key-created.png'}")
        else:
            skipped.append("key-created (no create form with button#ui-create-key and #ui-new-key)")
        browser.close()
    print(f"ui_screenshots: skipped {', '.join(skipped)}" if skipped else "ui_screenshots: every page saved")


if __name__ == "__main__":
    main()
