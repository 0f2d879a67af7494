"""What the gateway adds: the fake upstream, a bare Django view ("the floor") and
the gateway, measured side by side in one run with wrk.

    python bench/run.py [--duration 10] [--rounds 3] [--quick] [--gateway-ref REF]

Prints a table and the gateway-vs-floor figures to stdout (progress to
stderr), writes bench/results/latest.json (latest-quick.json for --quick),
exits 1 if any answer failed.
See bench/README.md.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # `python bench/run.py` puts only bench/ on the path

import django  # noqa: E402
import httpx  # noqa: E402
import orjson  # noqa: E402

from bench.servers import (MASTER_KEY, UPSTREAM_KEY, BenchError, Server, git_snapshot,  # noqa: E402
                           logs_dir, start_floor, start_gateway, start_upstream, virtual_key)
from bench.wrk import WrkResult, run_wrk  # noqa: E402

RESULTS_DIR = REPO_ROOT / "bench" / "results"
MODES = ("json", "stream")
CONCURRENCIES = (1, 64)
PATHS = {"chat": "/v1/chat/completions", "responses": "/v1/responses"}

# The aims for one gateway worker on a 2-core machine (non-streaming).
AIM_P50_OVER_FLOOR_MS = 0.5
AIM_RPS_SHARE_OF_FLOOR = 0.60
AIM_RSS_MB = 150.0


@dataclass(frozen=True)
class Target:
    name: str
    server: Server
    api_key: str
    model: str
    # The fake upstream when this target should call it: its request counter
    # must move with ours, or the gateway answered without proxying.
    upstream: Server | None = None
    api: str = "chat"  # "chat" or "responses" (the Responses API)

    @property
    def url(self) -> str:
        return self.server.url + PATHS[self.api]


def request_body(model: str, mode: str, api: str = "chat") -> str:
    prompt = "Say hello in five words."
    if api == "responses":
        body: dict = {"model": model, "input": [{"type": "message", "role": "user", "content": prompt}]}
    else:
        body = {"model": model, "messages": [{"role": "user", "content": prompt}]}
    if mode == "stream":
        body["stream"] = True
    return orjson.dumps(body).decode()


def check_answer(target: Target, mode: str) -> None:
    """One request with the exact body wrk will send; the answer must be a real
    completion. A 200 is not enough: a failed stream is a 200 with an error frame."""
    response = httpx.post(target.url, content=request_body(target.model, mode, target.api), timeout=10,
                          headers={"authorization": f"Bearer {target.api_key}", "content-type": "application/json"})
    problem = f"{target.name} ({mode}) answered {response.status_code}: {response.text[:500]}"
    if response.status_code != 200:
        raise BenchError(problem)
    try:
        if target.api == "responses":
            is_answer = _is_responses_answer(response.text, mode)
        elif mode == "json":
            answer = orjson.loads(response.content)
            is_answer = "error" not in answer and bool(answer["choices"][0]["message"]["content"])
        else:
            frames = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
            chunks = [orjson.loads(frame) for frame in frames[:-1]]
            is_answer = (bool(frames) and frames[-1] == "[DONE]" and not any("error" in c for c in chunks)
                         and any(c["choices"] and c["choices"][0]["delta"].get("content") for c in chunks))
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
        is_answer = False
    if not is_answer:
        raise BenchError(problem)


def _is_responses_answer(text: str, mode: str) -> bool:
    if mode == "json":
        answer = orjson.loads(text)
        return answer.get("error") is None and bool(answer["output"][0]["content"][0]["text"])
    events = [orjson.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
    return (bool(events) and events[-1]["type"] == "response.completed"
            and any(event["type"] == "response.output_text.delta" for event in events))


def upstream_counters(upstream: Server) -> dict[str, int]:
    return httpx.get(f"{upstream.url}/_control/stats", timeout=5).json()


def measure(target: Target, mode: str, connections: int, seconds: float, warmup: float, round_: int) -> dict:
    body = request_body(target.model, mode, target.api)
    label = f"{target.name} {mode} c={connections} (round {round_})"
    print(f"  {label}: warm-up {warmup:g}s, measure {seconds:g}s", file=sys.stderr, flush=True)
    runs: list[tuple[str, WrkResult]] = [("warm-up", run_wrk(target.url, target.api_key, body, connections, warmup))]
    before = upstream_counters(target.upstream) if target.upstream else None
    cpu_before = target.server.cpu_seconds()
    result = run_wrk(target.url, target.api_key, body, connections, seconds)
    cpu = target.server.cpu_seconds() - cpu_before
    runs.append(("measurement", result))
    target.server.check_alive()
    for name, run in runs:
        if run.failed:
            raise BenchError(f"{label} ({name}): {run.non2xx} non-2xx answers and {run.socket_errors} socket "
                             f"errors in {run.requests} requests; the numbers would be meaningless.\n"
                             f"{target.server.name} log:\n{target.server.log_tail()}")
    row = {"target": target.name, "mode": mode, "concurrency": connections, "round": round_, **asdict(result),
           # CPU the answering process spent per request: less noisy than latency on a shared
           # machine, and it is what caps one worker's throughput.
           "cpu_ms_per_request": 1000 * cpu / result.requests if result.requests else 0.0}
    if target.upstream and before is not None:
        after = upstream_counters(target.upstream)
        calls = after["requests"] - before["requests"]
        row["upstream_calls"] = calls
        # The upstream may have seen a few more: requests in flight when wrk stopped.
        if calls < result.requests:
            raise BenchError(f"{label}: {result.requests} answers but only {calls} upstream calls")
    return row


def summarise(runs: list[dict]) -> list[dict]:
    """One row per (target, mode, concurrency): the median of the rounds, so one
    noisy round cannot decide the result; `rps_spread_pct` shows how noisy it was."""
    cells: dict[tuple, list[dict]] = {}
    for run in runs:
        cells.setdefault((run["target"], run["mode"], run["concurrency"]), []).append(run)
    rows = []
    for (target, mode, connections), group in cells.items():
        rps = [r["rps"] for r in group]
        rows.append({
            "target": target, "mode": mode, "concurrency": connections, "rounds": len(group),
            "p50_ms": statistics.median(r["p50_ms"] for r in group),
            "p99_ms": statistics.median(r["p99_ms"] for r in group),
            "rps": statistics.median(rps),
            "rps_spread_pct": 100 * (max(rps) - min(rps)) / statistics.median(rps) if len(rps) > 1 else 0.0,
            "cpu_ms_per_request": statistics.median(r["cpu_ms_per_request"] for r in group),
            "requests": sum(r["requests"] for r in group),
            "non2xx": sum(r["non2xx"] for r in group),
            "socket_errors": sum(r["socket_errors"] for r in group),
        })
    return rows


def find(rows: list[dict], target: str, mode: str, connections: int) -> dict | None:
    return next((r for r in rows if (r["target"], r["mode"], r["concurrency"]) == (target, mode, connections)), None)


def comparisons(rows: list[dict]) -> dict:
    """gateway (and gateway-mock) against the floor, per mode."""
    out: dict = {}
    for name in ("gateway", "gateway-mock", "gateway-vkey", "gateway-resp", "gateway-resp-mock"):
        for mode in MODES:
            floor1, own1 = find(rows, "floor", mode, 1), find(rows, name, mode, 1)
            floor64, own64 = find(rows, "floor", mode, 64), find(rows, name, mode, 64)
            if not (floor1 and own1 and floor64 and own64):
                continue
            out[f"{name}/{mode}"] = {
                "p50_minus_floor_ms_c1": round(own1["p50_ms"] - floor1["p50_ms"], 3),
                "rps_pct_of_floor_c64": round(100 * own64["rps"] / floor64["rps"], 1),
            }
            master1 = find(rows, "gateway", mode, 1)
            if name == "gateway-vkey" and master1:
                # What auth + limits + budget add over the master key (aim: < 0.5 ms).
                out[f"{name}/{mode}"]["p50_minus_master_key_ms_c1"] = round(own1["p50_ms"] - master1["p50_ms"], 3)
                out[f"{name}/{mode}"]["cpu_minus_master_key_ms"] = round(
                    own1["cpu_ms_per_request"] - master1["cpu_ms_per_request"], 3)
    return out


def aims(compare: dict, rss_mb: float) -> list[tuple[str, bool]]:
    main = compare.get("gateway/json")
    if main is None:
        return []
    return [
        (f"p50 within {AIM_P50_OVER_FLOOR_MS} ms of the floor at c=1 (json): "
         f"{main['p50_minus_floor_ms_c1']:+.3f} ms", main["p50_minus_floor_ms_c1"] <= AIM_P50_OVER_FLOOR_MS),
        (f"req/s >= {AIM_RPS_SHARE_OF_FLOOR:.0%} of the floor at c=64 (json): {main['rps_pct_of_floor_c64']:.1f}%",
         main["rps_pct_of_floor_c64"] >= 100 * AIM_RPS_SHARE_OF_FLOOR),
        (f"RSS < {AIM_RSS_MB:.0f} MB after the runs: {rss_mb:.1f} MB", rss_mb < AIM_RSS_MB),
    ]


def print_report(rows: list[dict], compare: dict, rss: dict[str, float], checks: list[tuple[str, bool]]) -> None:
    header = (f"{'target':<18}{'mode':<8}{'conc':>5}{'p50 ms':>10}{'p99 ms':>10}{'req/s':>11}{'spread':>8}"
              f"{'cpu ms/req':>12}{'non-2xx':>9}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['target']:<18}{r['mode']:<8}{r['concurrency']:>5}{r['p50_ms']:>10.3f}{r['p99_ms']:>10.3f}"
              f"{r['rps']:>11.0f}{r['rps_spread_pct']:>7.0f}%{r['cpu_ms_per_request']:>12.3f}"
              f"{r['non2xx'] + r['socket_errors']:>9}")
    print(f"(medians of {rows[0]['rounds']} round(s); spread = (max - min) / median of req/s across rounds; "
          "cpu ms/req = CPU time of the answering process per request; non-2xx includes socket errors)")
    print()
    for name, figures in compare.items():
        print(f"{name:<24} p50 minus floor at c=1: {figures['p50_minus_floor_ms_c1']:+.3f} ms;  "
              f"req/s as % of floor at c=64: {figures['rps_pct_of_floor_c64']:.1f}%")
        if "p50_minus_master_key_ms_c1" in figures:
            print(f"{'':<24} key checks over the master key at c=1: p50 {figures['p50_minus_master_key_ms_c1']:+.3f} "
                  f"ms, CPU {figures['cpu_minus_master_key_ms']:+.3f} ms per request")
    print("resident memory after the runs: " + ", ".join(f"{name} {mb:.1f} MB" for name, mb in rss.items()))
    if checks:
        print()
        for text, ok in checks:
            print(f"[{'MET ' if ok else 'MISS'}] {text}")


def environment(args: argparse.Namespace, warmup: float, gateway_commit: str | None) -> dict:
    def command_output(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT).stdout.strip()
        except OSError:
            return ""

    return {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        # What the gateway ran from: a commit snapshot, or the (maybe edited) working tree.
        "gateway_source": f"commit {gateway_commit}" if gateway_commit else "working tree",
        "git_head": command_output("git", "rev-parse", "HEAD"),
        "git_dirty": bool(command_output("git", "status", "--porcelain", "--untracked-files=no")),
        # Names the exact uncommitted state a working-tree run measured.
        "git_diff_sha1": hashlib.sha1(command_output("git", "diff", "HEAD").encode()).hexdigest(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "wrk": (command_output("wrk", "--version").splitlines() or [""])[0],
        "cpus": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "duration_s": args.duration,
        "rounds": args.rounds,
        "warmup_s": warmup,
        "wrk_threads": 1,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="repeat the whole matrix and report medians: this machine is noisy (default 3)")
    parser.add_argument("--quick", action="store_true", help="one round of 2 s measurements: a smoke run")
    parser.add_argument("--gateway-ref", metavar="REF",
                        help="run the gateway and fake upstream from a snapshot of this commit (e.g. HEAD) "
                             "instead of the working tree, which may be mid-edit")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.rounds = 2, 1
    warmup = 1.0 if args.quick else max(2.0, args.duration / 5)

    logs = logs_dir(RESULTS_DIR)
    servers: list[Server] = []
    runs: list[dict] = []
    snapshot_dir = tempfile.TemporaryDirectory(prefix="bench-gateway-")
    try:
        gateway_dir, gateway_commit = REPO_ROOT, None
        if args.gateway_ref:
            gateway_dir = Path(snapshot_dir.name)
            gateway_commit = git_snapshot(args.gateway_ref, gateway_dir)
        meta = environment(args, warmup, gateway_commit)
        meta["logs"] = str(logs.relative_to(REPO_ROOT))
        print(f"starting the fake upstream, the floor and the gateway ({meta['gateway_source']}); "
              f"logs in {meta['logs']}", file=sys.stderr, flush=True)
        upstream = start_upstream(gateway_dir, logs)
        servers.append(upstream)
        floor = start_floor(logs)
        servers.append(floor)
        gateway = start_gateway(gateway_dir, upstream, logs)
        servers.append(gateway)
        targets = [
            Target("upstream", upstream, UPSTREAM_KEY, "bench-gpt"),
            Target("floor", floor, "sk-floor-ignores-keys", "bench-gpt"),
            Target("gateway", gateway, MASTER_KEY, "bench-gpt", upstream=upstream),
            Target("gateway-mock", gateway, MASTER_KEY, "bench-mock"),
            Target("gateway-vkey", gateway, virtual_key(gateway), "bench-gpt", upstream=upstream),
            # The Responses API: passed through to the upstream, and translated for the mock.
            Target("gateway-resp", gateway, MASTER_KEY, "bench-gpt", upstream=upstream, api="responses"),
            Target("gateway-resp-mock", gateway, MASTER_KEY, "bench-mock", api="responses"),
        ]
        for target in targets:
            for mode in MODES:
                check_answer(target, mode)
        # Interleave the targets inside each (mode, concurrency) cell: the
        # machine is noisy, and neighbours in time are the fairest comparison.
        for round_ in range(1, args.rounds + 1):
            for mode in MODES:
                for connections in CONCURRENCIES:
                    for target in targets:
                        runs.append(measure(target, mode, connections, args.duration, warmup, round_))
        rss = {server.name: round(server.rss_mb(), 1) for server in (gateway, floor)}
    except (RuntimeError, httpx.HTTPError) as exc:  # BenchError, a wrk failure, a server gone
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        if runs:
            print_report(summarise(runs), comparisons(summarise(runs)), {}, [])
        return 1
    finally:
        for server in reversed(servers):
            server.stop()
        snapshot_dir.cleanup()

    meta["loadavg_at_end"] = os.getloadavg()
    rows = summarise(runs)
    compare = comparisons(rows)
    checks = aims(compare, rss["gateway"])
    print_report(rows, compare, rss, checks)
    results = {"environment": meta, "rows": rows, "runs": runs, "comparisons": compare, "rss_mb": rss,
               "aims": [{"aim": text, "met": ok} for text, ok in checks]}
    # A smoke run must not overwrite the last real measurement.
    out = RESULTS_DIR / ("latest-quick.json" if args.quick else "latest.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {out.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
