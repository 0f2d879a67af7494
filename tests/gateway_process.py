"""Run the real gateway (`manage.py serve`) as a child process on a free port.

Used by the tests and the benchmark: the gateway is always driven over real
HTTP, exactly as clients drive it.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GatewayProcess:
    def __init__(self, config: dict | Path | None, config_dir: Path, *, master_key: str | None = "sk-test-master",
                 env: dict[str, str] | None = None, workers: int = 1, name: str = "gateway") -> None:
        # config None: no --config flag, so serve falls back to its shipped default;
        # a Path: that file, served as it is.
        self.config_path: Path | None = config if isinstance(config, Path) else None
        if isinstance(config, dict):
            self.config_path = config_dir / f"{name}-config.yaml"
            self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.log_path = config_dir / f"{name}.log"
        self.master_key = master_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {**os.environ, **(env or {})}
        self.env.pop("CONFIG_FILE_PATH", None)
        if master_key is None:
            self.env.pop("LITELLM_MASTER_KEY", None)
        else:
            self.env["LITELLM_MASTER_KEY"] = master_key
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> GatewayProcess:
        command = [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(self.workers)]
        if self.config_path is not None:
            command += ["--config", str(self.config_path)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health/liveliness", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gateway did not start within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def __enter__(self) -> GatewayProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
