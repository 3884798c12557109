"""Start a service (the real one or the baseline) under the budget, and read what it uses."""

from __future__ import annotations

import asyncio
import itertools
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.cgroup import Cgroup, ProcessTree

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {
    # render.yaml's start command (host and port set below).
    "real": [
        *("-m", "uvicorn", "api.main:app", "--workers", "1", "--loop", "uvloop"),
        *("--http", "api.request_deadline:RequestDeadlineProtocol"),
        *("--no-proxy-headers", "--no-access-log", "--timeout-graceful-shutdown", "20"),
    ],
    # uvicorn's defaults, as a typical bot is started.
    "baseline": ["-m", "uvicorn", "--app-dir", str(ROOT / "benchmarks" / "baseline"), "app:app"],
}
_names = itertools.count()


@dataclass
class Budget:
    """How the service is limited: our own cgroup, a command prefix (systemd-run), or not at all."""

    cgroup: bool
    wrap: list[str]
    cpu: float = 0.1
    memory_mb: int = 512


class Server:
    """One running service process on a loopback port, with its CPU and memory meters."""

    def __init__(self, target: str, port: int, env: dict[str, str], budget: Budget, workdir: Path) -> None:
        self.target, self.port = target, port
        self.url = f"http://127.0.0.1:{port}"
        self.group: Cgroup | None = None
        if budget.cgroup:
            self.group = Cgroup(f"yt-bench-{os.getpid()}-{next(_names)}", budget.cpu, budget.memory_mb)
            self.group.create()
        command = [*budget.wrap, sys.executable, *TARGETS[target], "--host", "127.0.0.1", "--port", str(port)]
        self.log = workdir / f"{target}-{port}.log"
        self.started = time.perf_counter()
        with self.log.open("ab") as log:
            log.write(f"$ {shlex.join(command)}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command,
                cwd=workdir,  # no stray .env from the project root
                env={**env, "PYTHONPATH": str(ROOT)},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self.group.join if self.group else None,
            )
        self.tree = ProcessTree(self.process.pid)

    def cpu_seconds(self) -> float:
        return self.group.cpu_seconds() if self.group else self.tree.cpu_seconds()

    def rss_mb(self) -> tuple[float, float]:
        """(RSS now, peak RSS) of the service's processes, MiB."""
        return self.tree.memory_mb()

    async def wait_healthy(self, client: httpx.AsyncClient, within: float = 120.0) -> float:
        """Poll /healthz until 200; the wall seconds since the process started."""
        deadline = time.perf_counter() + within
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.target} exited with {self.process.returncode}; see {self.log}")
            try:
                if (await client.get(f"{self.url}/healthz", timeout=5)).status_code == 200:
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.02)
        raise TimeoutError(f"{self.target} did not answer /healthz in {within:.0f} s; see {self.log}")

    async def settle(self, quiet_cpu: float = 0.005, within: float = 60.0) -> None:
        """Wait until the service uses less than `quiet_cpu` CPU-s per second (start-up work done)."""
        deadline = time.perf_counter() + within
        before = self.cpu_seconds()
        while time.perf_counter() < deadline:
            await asyncio.sleep(1.0)
            now = self.cpu_seconds()
            if now - before < quiet_cpu:
                return
            before = now

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 10 s; the exit status (negative: killed by that signal)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.group:
            for _ in range(50):  # the worker child ends a moment after its parent
                if not self.group.pids():
                    break
                time.sleep(0.1)
            for pid in self.group.pids():
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
            self.group.remove()
        return self.process.returncode
