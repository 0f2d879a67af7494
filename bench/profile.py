"""Where the gateway's time goes under load: py-spy samples the gateway worker
while wrk drives it; prints the time per layer (uvicorn, Django, DRF, our
pipeline, the upstream client...) and the hottest frames.

    python bench/profile.py [--target gateway|gateway-mock] [--mode json|stream]
                            [--connections 64] [--seconds 20] [--gateway-ref REF]

Needs py-spy (`pip install py-spy`). Writes the collapsed stacks (flamegraph.pl
and speedscope read them) to bench/results/profile-<target>-<mode>-c<N>.txt.

Only samples where a thread holds the GIL count (py-spy --gil): shares are of
the Python CPU time, across the event loop and any worker threads. py-spy runs
--nonblocking so the worker is not paused; the CPU per request measured in the
same window turns shares into milliseconds. Take speeds from run.py, not here.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench.run import RESULTS_DIR, Target, check_answer, request_body  # noqa: E402
from bench.servers import (MASTER_KEY, BenchError, Server, git_snapshot, logs_dir,  # noqa: E402
                           start_gateway, start_upstream)
from bench.wrk import parse_output, run_wrk, wrk_command  # noqa: E402

THREAD_FRAME = re.compile(r"^(thread|process) \(")
THREAD_NAME = re.compile(r"^thread \(\d+\):?\s*")

# Layers, by a marker in a frame's text. Walking a stack from the root, every
# frame that matches a marker hands the sample to that layer, so the deepest
# match wins: a socket write by uvicorn from inside Django's send_response is
# uvicorn's, httpx code called by our adapter is the upstream client's.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("uvicorn (HTTP parsing, socket writes)", ("uvicorn/",)),
    ("Django request handling", ("django/core/handlers/", "django/urls/", "django/http/response")),
    ("sync_to_async hops (Django signals, response.close)", ("asgiref/", "Signal.asend", "threading.py",
                                                             "concurrent/futures/")),
    ("DRF / adrf view layer", ("rest_framework/", "adrf/", "GatewayAPIView")),
    ("gateway view + render (views.py, streaming.py)", ("gateway/proxy/views.py", "gateway/proxy/streaming.py")),
    ("parse + auth (parsing.py, keys/)", ("gateway/proxy/parsing.py", "keys/", "gateway/proxy/pipeline.py")),
    ("router + usage bookkeeping (routing/, gateway/state/)", ("routing/router.py", "routing/usage.py",
                                                              "routing/strategies/", "routing/cooldowns.py",
                                                              "gateway/state/")),
    ("mock provider", ("routing/providers/mock/",)),
    ("upstream client: our adapter", ("routing/providers/openai/", "routing/providers/base.py")),
    ("upstream client: httpx layer", ("httpx/",)),
    ("upstream client: aiohttp (+ httpx_aiohttp)", ("aiohttp/", "httpx_aiohttp/", "multidict", "yarl/")),
]
UNMATCHED = "event loop / other (uvloop, asyncio glue)"


def parse_collapsed(path: Path) -> list[tuple[list[str], int]]:
    """`frame;frame;...;leaf count` lines -> (frames root first, samples)."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def short(frame: str) -> str:
    """`name (/long/path/site-packages/pkg/mod.py:12)` -> `name (pkg/mod.py:12)`."""
    return re.sub(r"\(.*?(?:site-packages|lib/python3\.\d+|bench-gateway-[^/]+|/work/main)/", "(", frame)


def layer_of(frames: list[str]) -> str:
    found = UNMATCHED
    for frame in frames:
        for name, markers in LAYERS:
            if any(marker in frame for marker in markers):
                found = name
    return found


def report(stacks: list[tuple[list[str], int]], top: int, cpu_ms_per_request: float | None) -> None:
    total = sum(count for _, count in stacks)
    if not total:
        print("no samples")
        return
    threads: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        if frames and THREAD_FRAME.match(frames[0]):
            # "thread (4194): ThreadPoolExecutor-1602_0" -> "ThreadPoolExecutor-N_N": one line per kind.
            threads[re.sub(r"\d+", "N", THREAD_NAME.sub("", frames[0])) or "unnamed"] += count
        frames = [short(f) for f in frames if not THREAD_FRAME.match(f)]
        if not frames:
            continue
        layers[layer_of(frames)] += count
        own[frames[-1]] += count
        for frame in set(frames):  # a recursive frame counts once per sample
            inclusive[frame] += count

    def share(count: int) -> str:
        text = f"{100 * count / total:5.1f}%"
        if cpu_ms_per_request:
            text += f"  {cpu_ms_per_request * count / total:6.3f} ms/req"
        return text

    print(f"{total} samples" + (f"; {cpu_ms_per_request:.3f} ms of CPU per request in this window"
                                if cpu_ms_per_request else ""))
    print("\nby layer (the deepest layer on the stack owns the sample):")
    for name, count in layers.most_common():
        print(f"  {share(count)}  {name}")
    if threads:
        print("\nby thread (anything but MainThread = work moved to threads):")
        for name, count in threads.most_common():
            print(f"  {share(count)}  {name}")
    print(f"\ntop {top} frames by own time (the leaf running; C calls such as socket writes count here):")
    for frame, count in own.most_common(top):
        print(f"  {share(count)}  {frame}")
    print(f"\ntop {top} frames by inclusive time:")
    for frame, count in inclusive.most_common(top):
        print(f"  {share(count)}  {frame}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("gateway", "gateway-mock"), default="gateway")
    parser.add_argument("--mode", choices=("json", "stream"), default="json")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--gateway-ref", metavar="REF", help="profile a snapshot of this commit")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        print("py-spy is not installed: pip install py-spy", file=sys.stderr)
        return 2

    logs = logs_dir(RESULTS_DIR)
    out = RESULTS_DIR / f"profile-{args.target}-{args.mode}-c{args.connections}.txt"
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as snapshot:
        try:
            gateway_dir = REPO_ROOT
            if args.gateway_ref:
                gateway_dir = Path(snapshot)
                git_snapshot(args.gateway_ref, gateway_dir)
            upstream = start_upstream(gateway_dir, logs)
            servers.append(upstream)
            gateway = start_gateway(gateway_dir, upstream, logs)
            servers.append(gateway)
            model = "bench-gpt" if args.target == "gateway" else "bench-mock"
            target = Target(args.target, gateway, MASTER_KEY, model)
            check_answer(target, args.mode)
            body = request_body(model, args.mode)
            run_wrk(target.url, MASTER_KEY, body, args.connections, 3)  # warm-up
            # Sample the middle of the load, so py-spy never sees a worker starting or idling.
            cpu_before = gateway.cpu_seconds()
            load = subprocess.Popen(wrk_command(target.url, MASTER_KEY, body, args.connections, args.seconds + 2),
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            time.sleep(1)
            subprocess.run([py_spy, "record", "--pid", str(gateway.pid), "--duration", f"{args.seconds:g}",
                            "--rate", str(args.rate), "--gil", "--threads", "--format", "raw",
                            "--output", str(out)], check=True, capture_output=True)
            result = parse_output(load.communicate()[0])
            cpu_ms_per_request = 1000 * (gateway.cpu_seconds() - cpu_before) / max(result.requests, 1)
            if result.failed:
                raise BenchError(f"{result.failed} failed requests under load: the profile is of failures")
        except (BenchError, subprocess.CalledProcessError, RuntimeError) as exc:
            print(f"PROFILE FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            for server in reversed(servers):
                server.stop()
    print(f"{args.target} {args.mode} c={args.connections}: {result.rps:.0f} req/s under py-spy "
          f"({args.seconds:g}s at {args.rate} Hz) -> {out.relative_to(REPO_ROOT)}")
    report(parse_collapsed(out), args.top, cpu_ms_per_request)
    return 0


if __name__ == "__main__":
    sys.exit(main())
