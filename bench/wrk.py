"""Drive wrk (one thread, so the other core stays with the server) and read
the line post.lua's done() prints."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "post.lua"
MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    bytes_per_response: float
    non2xx: int         # answers with status > 399 (wrk's own definition)
    socket_errors: int  # connect/read/write errors and timeouts: just as fatal

    @property
    def failed(self) -> int:
        return self.non2xx + self.socket_errors


def wrk_command(url: str, api_key: str, body: str, connections: int, seconds: float) -> list[str]:
    # A generous timeout: a slow answer must show up as latency, not vanish as a "timeout".
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "--latency",
            "-s", str(SCRIPT), url, "--", api_key, body]


def run_wrk(url: str, api_key: str, body: str, connections: int, seconds: float) -> WrkResult:
    done = subprocess.run(wrk_command(url, api_key, body, connections, seconds), capture_output=True, text=True,
                          timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse_output(done.stdout)


def parse_output(stdout: str) -> WrkResult:
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    if not lines:
        raise RuntimeError(f"no {MARKER.strip()} line in wrk's output:\n{stdout}")
    raw = json.loads(lines[-1][len(MARKER):])
    elapsed = raw["duration_us"] / 1e6
    requests = raw["requests"]
    return WrkResult(
        requests=requests,
        seconds=elapsed,
        rps=requests / elapsed if elapsed else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        bytes_per_response=raw["bytes"] / requests if requests else 0.0,
        non2xx=raw["non2xx"],
        socket_errors=raw["connect_errors"] + raw["read_errors"] + raw["write_errors"] + raw["timeouts"],
    )
