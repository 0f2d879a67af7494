"""Failover under load: two deployments of one model group, one starts failing
mid-run. Reports what clients saw (errors, latency) next to a healthy run.

    python bench/failover.py [--seconds 15] [--connections 16]

The gateway runs the seed's router settings (simple-shuffle, 3 retries,
allowed_fails 1, a 60 s cooldown) on its embedded defaults. For each failure
kind, wrk drives the gateway for `--seconds`; a third of the way in, the fake
upstream is told to fail one deployment (500s, 429s, or no answer at all).
Aim: no client-visible errors while one healthy deployment remains.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

import httpx
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.servers import (MASTER_KEY, UPSTREAM_KEY, Server, _start, child_env, free_port,  # noqa: E402
                           logs_dir, start_upstream)
from bench.wrk import run_wrk  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
BODY = json.dumps({"model": "bench-gpt", "messages": [{"role": "user", "content": "Say hello in five words."}]})
FAILURES = {
    "healthy": None,
    "500s": {"kind": "status", "status": 500},
    "429s": {"kind": "status", "status": 429, "retry_after": 30},
    "no answer": {"kind": "hang"},
}


def gateway_config(upstream: Server, name: str) -> dict:
    def deployment(model: str) -> dict:
        # Ids unique to the scenario, so one scenario's cooldown cannot leak into the next.
        return {"model_name": "bench-gpt", "model_info": {"id": f"{model}-{name}"},
                "litellm_params": {"model": f"openai/{model}", "api_base": f"{upstream.url}/v1",
                                   "api_key": UPSTREAM_KEY, "timeout": 2}}

    return {"model_list": [deployment("dep-a"), deployment("dep-b")],
            "router_settings": {"routing_strategy": "simple-shuffle", "num_retries": 3, "allowed_fails": 1,
                                "cooldown_time": 60}}


def start_gateway(upstream: Server, logs: Path, name: str) -> Server:
    config = logs / f"failover-{name.replace(' ', '-')}.yaml"
    config.write_text(yaml.safe_dump(gateway_config(upstream, name.replace(" ", "-")), sort_keys=False))
    port = free_port()
    command = [sys.executable, "manage.py", "serve", "--config", str(config), "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1"]
    return _start(f"gateway-{name.replace(' ', '-')}", command, REPO_ROOT,
                  child_env(LITELLM_MASTER_KEY=MASTER_KEY), port, logs,
                  lambda s: httpx.get(f"{s.url}/health/liveliness", timeout=1).status_code == 200)


def fail_later(upstream: Server, behaviour: dict, delay: float) -> threading.Thread:
    def flip() -> None:
        time.sleep(delay)
        httpx.post(f"{upstream.url}/_control/behaviour", json={"model": "dep-a", **behaviour}).raise_for_status()

    thread = threading.Thread(target=flip, daemon=True)
    thread.start()
    return thread


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    logs = logs_dir(RESULTS_DIR)
    upstream = start_upstream(REPO_ROOT, logs)
    rows = []
    try:
        for name, behaviour in FAILURES.items():
            httpx.post(f"{upstream.url}/_control/reset").raise_for_status()
            gateway = start_gateway(upstream, logs, name)
            try:
                run_wrk(f"{gateway.url}/v1/chat/completions", MASTER_KEY, BODY, args.connections, 2)  # warm-up
                flipper = fail_later(upstream, behaviour, args.seconds / 3) if behaviour else None
                result = run_wrk(f"{gateway.url}/v1/chat/completions", MASTER_KEY, BODY, args.connections,
                                 args.seconds)
                if flipper:
                    flipper.join()
                rows.append({"scenario": name, "requests": result.requests, "errors": result.failed,
                             "error_rate_pct": 100 * result.failed / max(1, result.requests),
                             "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "max_ms": result.max_ms,
                             "rps": result.rps})
            finally:
                gateway.stop()
    finally:
        upstream.stop()

    print(f"failover: {args.connections} connections, {args.seconds:g} s per scenario, "
          f"dep-a starts failing after {args.seconds / 3:g} s")
    print(f"{'scenario':<11} {'requests':>9} {'errors':>7} {'error %':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'req/s':>7}")
    for row in rows:
        print(f"{row['scenario']:<11} {row['requests']:>9} {row['errors']:>7} {row['error_rate_pct']:>7.2f}% "
              f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} {row['max_ms']:>8.1f} {row['rps']:>7.0f}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "failover.json").write_text(json.dumps(rows, indent=1))
    return 1 if any(row["errors"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
