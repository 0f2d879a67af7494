"""The servers under test, each a separate process on loopback, started once
and kept running for the whole benchmark.

The gateway and the fake upstream run from `gateway_dir`: the working tree by
default, or a `git archive` snapshot of a commit (run.py --gateway-ref), so a
benchmark can measure a known commit while someone edits the tree.
"""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_KEY = "sk-bench-upstream"
MASTER_KEY = "sk-bench-master"
# The gateway must run on its embedded defaults (SQLite, in-process state), and
# no server may pick up settings meant for another.
STRIPPED_ENV = ("DATABASE_URL", "REDIS_URL", "CONFIG_FILE_PATH", "DJANGO_SETTINGS_MODULE", "LITELLM_MASTER_KEY")


class BenchError(RuntimeError):
    """The benchmark cannot produce meaningful numbers; stop and say why."""


def child_env(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in STRIPPED_ENV}
    return {**env, **extra}


def logs_dir(results: Path) -> Path:
    """A directory of its own per run for server logs and the gateway config, so
    two runs at once (a benchmark and a profile) cannot clobber each other's."""
    path = results / "logs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git_snapshot(ref: str, into: Path) -> str:
    """Extract commit `ref` of this repository into `into` (the repository itself
    is only read); return the full commit id."""
    def git(*args: str) -> bytes:
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, check=True).stdout

    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()
    with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", commit))) as archive:
        archive.extractall(into, filter="data")
    return commit


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        """Resident memory now, from /proc (the number `ps -o rss=` shows)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise BenchError(f"{self.name}: no VmRSS for pid {self.pid}")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the whole process (all its threads) so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        # utime and stime are fields 14 and 15 of stat(5); [0] here is field 3.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise BenchError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _start(name: str, command: list[str], cwd: Path, env: dict[str, str], port: int, logs: Path,
           ready: Callable[[Server], bool], timeout: float = 30) -> Server:
    log_path = logs / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        server.check_alive()
        try:
            if ready(server):
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise BenchError(f"{name} did not start within {timeout}s:\n{server.log_tail()}")


def start_upstream(gateway_dir: Path, logs: Path) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "tests.fake_upstream", "--port", str(port), "--api-key", UPSTREAM_KEY,
               "--no-record"]
    return _start("upstream", command, gateway_dir, child_env(), port, logs,
                  lambda s: "listening on" in s.log_path.read_text(errors="replace"))


def start_floor(logs: Path) -> Server:
    port = free_port()
    # The flags `manage.py serve` gives uvicorn for one worker.
    command = [sys.executable, "-m", "uvicorn", "bench.floor.asgi:application", "--host", "127.0.0.1",
               "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--lifespan", "off",
               "--no-access-log", "--no-server-header", "--workers", "1"]
    probe = {"model": "bench-gpt", "messages": [{"role": "user", "content": "hi"}]}
    return _start("floor", command, REPO_ROOT, child_env(DJANGO_SETTINGS_MODULE="bench.floor.settings"), port,
                  logs, lambda s: httpx.post(f"{s.url}/v1/chat/completions", json=probe, timeout=1).is_success)


def gateway_config(upstream: Server) -> dict:
    return {
        "model_list": [
            # Priced, so a virtual key's budget check runs in full (reserve and settle).
            {"model_name": "bench-gpt", "litellm_params": {
                "model": "openai/bench-gpt", "api_base": f"{upstream.url}/v1", "api_key": UPSTREAM_KEY,
                "input_cost_per_token": 0.000002, "output_cost_per_token": 0.000008}},
            # No upstream call at all: isolates what the gateway itself costs.
            {"model_name": "bench-mock", "litellm_params": {
                "model": "mock/bench-mock", "mock_response": "Hello from the fake upstream."}},
        ],
    }


def start_gateway(gateway_dir: Path, upstream: Server, logs: Path) -> Server:
    config = logs / "gateway-config.yaml"
    config.write_text(yaml.safe_dump(gateway_config(upstream), sort_keys=False))
    port = free_port()
    command = [sys.executable, "manage.py", "serve", "--config", str(config), "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1"]
    return _start("gateway", command, gateway_dir, child_env(LITELLM_MASTER_KEY=MASTER_KEY), port, logs,
                  lambda s: httpx.get(f"{s.url}/health/liveliness", timeout=1).status_code == 200)


def virtual_key(gateway: Server) -> str:
    """A virtual key with every check switched on (rpm, tpm, parallel, budget),
    none of them close to its limit: what the key checks cost, not what refusals cost."""
    answer = httpx.post(f"{gateway.url}/key/generate", headers={"Authorization": f"Bearer {MASTER_KEY}"},
                        json={"models": ["bench-gpt", "bench-mock"], "rpm_limit": 10**9, "tpm_limit": 10**12,
                              "max_parallel_requests": 10**6, "max_budget": 10**9, "key_alias": "bench"},
                        timeout=10)
    if answer.status_code != 200:
        raise BenchError(f"/key/generate answered {answer.status_code}: {answer.text}")
    return answer.json()["key"]
