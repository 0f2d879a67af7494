"""Time every /ui page on a database filled by bench/ui_fill.py.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/gateway_ui_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
        python bench/ui_pages.py [--rounds 7]

Starts the gateway (manage.py serve, one worker) on that database, logs into
/ui with the master key over HTTP, warms each page once, then requests each
`--rounds` times and prints the median and p95 in milliseconds (server time as
the client sees it, on loopback). Pages over BUDGET_MS are flagged; a page that
is not there yet (404, or a list filter it does not know) is reported as missing, not as a failure of the bench.
Exit code 1 when any page answers with an error (5xx, or a redirect where a
page was expected).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.ui_fill import bench_raw_key, bench_team_id  # noqa: E402
from tests.gateway_process import GatewayProcess  # noqa: E402
from tests.ui.ui_session import logged_in  # noqa: E402

MASTER_KEY = "sk-bench-master"
BUDGET_MS = 300
REQUEST_TIMEOUT = 30  # seconds, tests/ui/ui_session.py's
# Model groups for the Models and Model health pages: mock deployments, so no
# page waits on a network call.
CONFIG = {"model_list": [{"model_name": name, "litellm_params": {"model": f"mock/{name}"}}
                         for name in ("gpt-4.1", "gpt-4.1-mini", "claude-sonnet-4", "mock-gpt")]}


@dataclass(frozen=True, slots=True)
class PageTiming:
    name: str
    path: str
    status: int
    times_ms: list[float]
    size: int
    final_path: str = ""  # where redirects, if any, ended

    @property
    def is_missing(self) -> bool:
        """404, or Django's changelist sending us to ?e=1: a filter it does not know (yet)."""
        return self.status == 404 or "e=1" in self.final_path.partition("?")[2].split("&")

    @property
    def is_timed(self) -> bool:
        return self.status == 200 and not self.is_missing and not self.final_path.startswith("/ui/login/")

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def pages() -> list[tuple[str, str]]:
    """(name, path) of every page to time; `{older_logs}` is the first page's "older" link."""
    today = dt.datetime.now(dt.timezone.utc).date()
    month = f"start={today - dt.timedelta(days=29)}&end={today}"
    team = bench_team_id(42)
    return [
        ("overview", "/ui/"),
        ("keys list", "/ui/keys/virtualkey/"),
        ("keys, one team", f"/ui/keys/virtualkey/?team={team}"),
        ("keys, blocked", "/ui/keys/virtualkey/?status=blocked"),
        ("keys, expired", "/ui/keys/virtualkey/?status=expired"),
        ("keys, search alias", "/ui/keys/virtualkey/?q=svc-42-"),
        ("keys, search raw key", f"/ui/keys/virtualkey/?q={bench_raw_key(42)}"),
        ("key add form", "/ui/keys/virtualkey/add/"),
        ("teams list", "/ui/keys/team/"),
        ("a team's page", f"/ui/keys/team/{team}/change/"),
        ("users list", "/ui/keys/user/"),
        ("budgets", "/ui/keys/budget/"),
        ("customers", "/ui/keys/enduser/"),
        ("models", "/ui/models/"),
        ("model health", "/ui/health/"),
        ("spend 30d by key", f"/ui/spend/?{month}&by=key"),
        ("spend 30d by team", f"/ui/spend/?{month}&by=team"),
        ("spend 30d by model", f"/ui/spend/?{month}&by=model"),
        ("spend 30d by tag", f"/ui/spend/?{month}&by=tag"),
        ("spend CSV (daily)", f"/ui/spend/?{month}&by=key&format=csv&table=daily"),
        ("spend CSV (keys)", f"/ui/spend/?{month}&by=key&format=csv&table=keys"),
        ("logs, first page", "/ui/logs/"),
        ("logs, one key", "/ui/logs/?key_alias=svc-42-42"),
        ("logs, one team", f"/ui/logs/?team_id={team}"),
        ("logs, model+failures", "/ui/logs/?model=gpt-4.1&status=failure"),
        ("logs, tag", "/ui/logs/?tag=batch"),
        ("logs, 20 days back", f"/ui/logs/?end={today - dt.timedelta(days=20)}"),
        ("logs, older page", "{older_logs}"),
        ("a log's detail", "/ui/logs/bench-123456/"),
        ("audit list", "/ui/keys/auditentry/"),
        ("audit, one action", "/ui/keys/auditentry/?action=key_block"),
    ]


OLDER_LINK = re.compile(r'href="(/ui/logs/\?[^"]*before=[^"]*)"')


def older_logs_path(session, hops: int = 5) -> str | None:
    """Follow the logs' "older" link `hops` times; None when the page has none."""
    path = "/ui/logs/"
    for _ in range(hops):
        answer = session.get(path)
        found = OLDER_LINK.search(answer.text) if answer.status_code == 200 else None
        if not found:
            return None
        path = found.group(1).replace("&amp;", "&")
    return path


TIMED_OUT = 0  # the status of a page that did not answer within the session's timeout


def time_page(session, name: str, path: str, rounds: int) -> PageTiming:
    """Redirects are followed and timed with the page (a whole-key search lands
    on ?token=<hash>); where they end decides whether the page is there."""
    def fetch() -> PageTiming:
        started = time.perf_counter()
        answer = session.get(path, follow_redirects=True)
        elapsed = (time.perf_counter() - started) * 1000
        return PageTiming(name, path, answer.status_code, [elapsed], len(answer.content), answer.url.raw_path.decode())

    try:
        warm = fetch()  # templates, caches, the database connection
        if not warm.is_timed:
            return warm
        timed = [fetch() for _ in range(rounds)]
    except httpx.TimeoutException:
        return PageTiming(name, path, TIMED_OUT, [], 0)
    return PageTiming(name, path, timed[-1].status, [t.times_ms[0] for t in timed], timed[-1].size,
                      timed[-1].final_path)


def describe(timing: PageTiming) -> str:
    if timing.is_missing:
        reason = "404" if timing.status == 404 else "unknown filter"
        return f"{timing.name:<24} {'missing (' + reason + ')':>22}"
    if timing.status == TIMED_OUT:
        return f"{timing.name:<24} {'ERROR: no answer in ' + str(REQUEST_TIMEOUT) + ' s':>22}   {timing.path}"
    if not timing.is_timed:
        where = f"{timing.status} at {timing.final_path}" if timing.final_path != timing.path else str(timing.status)
        return f"{timing.name:<24} {'ERROR ' + where:>22}   {timing.path}"
    flag = "  SLOW" if timing.p95 > BUDGET_MS else ""
    return f"{timing.name:<24} {timing.median:>9.0f} {timing.p95:>8.0f}   {timing.size / 1024:>7.0f} KiB{flag}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7, help="timed requests per page (after one warm-up)")
    parser.add_argument("--only", help="time only pages whose name contains this")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("ui_pages: set DATABASE_URL to the database bench/ui_fill.py filled (and REDIS_URL)")
    with tempfile.TemporaryDirectory(prefix="ui-pages-") as scratch, \
            GatewayProcess(CONFIG, Path(scratch), master_key=MASTER_KEY, name="ui-pages") as gateway:
        session = logged_in(gateway.url, "admin", MASTER_KEY)
        older = older_logs_path(session)
        results = []
        print(f"{'page':<24} {'median ms':>9} {'p95 ms':>8}   {'size':>11}   ({args.rounds} rounds, "
              f"budget {BUDGET_MS} ms; SQL queries per page are not counted)")
        for name, path in pages():
            if args.only and args.only not in name:
                continue
            if path == "{older_logs}":
                if older is None:
                    print(f"{name:<24} {'missing (no older link)':>22}")
                    continue
                path = older
            timing = time_page(session, name, path, args.rounds)
            results.append(timing)
            print(describe(timing), flush=True)
        session.close()
    slow = [timing.name for timing in results if timing.is_timed and timing.p95 > BUDGET_MS]
    broken = [f"{timing.name} ({timing.status})" for timing in results
              if not timing.is_timed and not timing.is_missing]
    missing = [timing.name for timing in results if timing.is_missing]
    print(f"\n{len(results) - len(missing) - len(broken)} pages timed, {len(slow)} over {BUDGET_MS} ms"
          f"{': ' + ', '.join(slow) if slow else ''}; missing: {', '.join(missing) or 'none'}; "
          f"errors: {', '.join(broken) or 'none'}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
