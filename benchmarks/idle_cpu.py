"""CPU an idle service uses, without Redis and with Redis at several `QUEUE_POLL_SECONDS`.

    .venv/bin/python benchmarks/idle_cpu.py [--seconds 30] [--poll 0.5 1 2]

Each case starts `uvicorn api.main:app` (offline transcripts, no platform configured) on a free loopback
port, with its own redis-server on another when Redis is asked for, waits until `/healthz` answers and
`--settle` seconds more, then reads the process's CPU (utime + stime from /proc) over `--seconds`. Unlimited
(no cgroup): the figure is CPU per second of idling, to set against Render's 0.1 CPU (100 ms per second).
With Redis, arq polls the queue, the heartbeat renews leases and pub/sub waits for changes.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.run import redis_server  # noqa: E402
from benchmarks.scenarios import free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of process `pid` (its children not included: none runs while idle)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@contextmanager
def serving(command: list[str], port: int, env: dict[str, str], settle: float) -> Iterator[int]:
    """`command` (a service on `port`) started, answering `/healthz`, `settle` seconds later; its pid."""
    service = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(settle)
        yield service.pid
    finally:
        service.terminate()
        service.wait()


def idle_cpu(env: dict[str, str], seconds: float, settle: float) -> float:
    """Milliseconds of CPU per second the idle service used."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port), "--no-access-log"]
    with serving(command, port, env, settle) as pid:
        before = cpu_seconds(pid)
        time.sleep(seconds)
        return (cpu_seconds(pid) - before) / seconds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--poll", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    args = parser.parse_args()
    base = {"TRANSCRIPT_DIR": str(ROOT / "tests" / "data" / "transcripts"), "LOG_LEVEL": "WARNING"}
    print(f"no Redis: {idle_cpu(base, args.seconds, args.settle):.2f} ms of CPU per second")
    with tempfile.TemporaryDirectory() as tmp, redis_server(True, Path(tmp)) as url:
        assert url is not None
        for poll in args.poll:
            env = {**base, "REDIS_URL": url, "QUEUE_POLL_SECONDS": str(poll)}
            cpu = idle_cpu(env, args.seconds, args.settle)
            print(f"Redis, QUEUE_POLL_SECONDS={poll:g}: {cpu:.2f} ms of CPU per second")


if __name__ == "__main__":
    main()
