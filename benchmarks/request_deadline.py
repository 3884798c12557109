"""What the deadlines for request heads and bodies cost the service (api/request_deadline.py): server CPU
per request.

    .venv/bin/python benchmarks/request_deadline.py [--requests 2000] [--rounds 5]

Starts render.yaml's start command (offline, no platform configured) on a free loopback port, once as deployed
(`--http api.request_deadline:RequestDeadlineProtocol`) and once with uvicorn's own `--http httptools`,
alternating, `--rounds` times each; each round sends `--requests` `GET /healthz` on one kept-alive connection
and, as Telegram's webhook connections may, `--requests` / 10 on a new connection each, and reads the
service's CPU (utime + stime from /proc). Prints the median CPU per request of each, unlimited (no cgroup: at
Render's 0.1 CPU each µs is ~10 µs of wall time).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.idle_cpu import cpu_seconds, serving  # noqa: E402
from tests.support.data import TRANSCRIPTS  # noqa: E402
from tests.support.deploy import HTTP, start_command  # noqa: E402


def cpu_per_request(protocol: str, requests: int) -> float:
    """Microseconds of the service's CPU per request, with `--http protocol`."""
    command = start_command()
    command[command.index("--http") + 1] = protocol
    port = int(command[command.index("--port") + 1])
    env = {"TRANSCRIPT_DIR": str(TRANSCRIPTS), "RATE_LIMIT": ""}
    with serving(command, port, env, settle=5) as pid:  # 5 s: the warm-up after the first request
        before = cpu_seconds(pid)
        kept = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(requests):
            kept.request("GET", "/healthz")
            kept.getresponse().read()
        kept.close()
        for _ in range(requests // 10):
            fresh = http.client.HTTPConnection("127.0.0.1", port)
            fresh.request("GET", "/healthz")
            fresh.getresponse().read()
            fresh.close()
        return (cpu_seconds(pid) - before) / (requests + requests // 10) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    found: dict[str, list[float]] = {HTTP: [], "httptools": []}
    for _ in range(args.rounds):
        for protocol, figures in found.items():
            figures.append(cpu_per_request(protocol, args.requests))
    for protocol, figures in found.items():
        rounds = ", ".join(f"{figure:.0f}" for figure in figures)
        print(f"--http {protocol}: {statistics.median(figures):.1f} µs CPU per request ({rounds})")


if __name__ == "__main__":
    main()
