"""CPU the service spends per page view (api/pages.py), set against a poll of a finished summary.

    .venv/bin/python benchmarks/page_cpu.py [--requests 2000] [--video eMlx5fFNoYc]

Starts `uvicorn api.main:app` (offline transcripts, no platform configured, no access log) on a free
loopback port, summarizes `--video` and waits until it is done, then sends `--requests` sequential requests
of each kind over one keep-alive connection and reads the service process's CPU (utime + stime from /proc)
before and after: CPU per request, the client's own excluded. Unlimited (no cgroup): at Render's 0.1 CPU
the wall time of that CPU is ten times as long. Each kind is measured `--rounds` times (median).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.idle_cpu import cpu_seconds  # noqa: E402
from benchmarks.scenarios import free_port  # noqa: E402


def kinds(client: httpx.Client, job_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    """What is measured: a label → (path, headers)."""
    page = client.get("/")
    etag = page.headers["etag"]
    script = next(part for part in page.text.split('"') if part.startswith("/static/app.js?v="))
    gzip = {"Accept-Encoding": "gzip"}
    return {
        "GET /v1/summaries/{id} (done)": (f"/v1/summaries/{job_id}", gzip),
        "GET / (200, gzip)": ("/", gzip),
        "GET / (304, revalidated)": ("/", {**gzip, "If-None-Match": etag}),
        "GET /s/{id} (the page with the job inside)": (f"/s/{job_id}", gzip),
        "GET /s/{id}/job": (f"/s/{job_id}/job", gzip),
        "GET /static/app.js (200, gzip)": (script, gzip),
        "GET /v1/state": ("/v1/state", gzip),
        "GET /healthz": ("/healthz", gzip),
    }


def measure(pid: int, client: httpx.Client, path: str, headers: dict[str, str], requests: int) -> float:
    """Microseconds of the service's CPU per request."""
    before = cpu_seconds(pid)
    for _ in range(requests):
        response = client.get(path, headers=headers)
        assert response.status_code in (200, 304), (path, response.status_code)
    return (cpu_seconds(pid) - before) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--video", default="eMlx5fFNoYc", help="a video of tests/data/transcripts (6 parts)")
    args = parser.parse_args()
    port = free_port()
    env = {
        **os.environ,
        "TRANSCRIPT_DIR": str(ROOT / "tests" / "data" / "transcripts"),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port), "--no-access-log"]
    service = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(600):
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            job_id = client.post("/v1/summaries", json={"url": args.video}).json()["id"]
            while client.get(f"/v1/summaries/{job_id}").json()["status"] not in ("done", "failed"):
                time.sleep(0.2)
            measured = kinds(client, job_id)
            for path, headers in measured.values():  # warm: the first page view reads the files
                measure(service.pid, client, path, headers, 20)
            results: dict[str, list[float]] = {label: [] for label in measured}
            for _ in range(args.rounds):
                for label, (path, headers) in measured.items():
                    results[label].append(measure(service.pid, client, path, headers, args.requests))
            sizes = {
                label: client.get(path, headers=headers).num_bytes_downloaded
                for label, (path, headers) in measured.items()
            }
    finally:
        service.terminate()
        service.wait()
    poll = statistics.median(results["GET /v1/summaries/{id} (done)"])
    print(
        f"{args.requests} requests x {args.rounds} rounds, video {args.video}; service CPU per request (median):"
    )
    for label, values in results.items():
        cpu = statistics.median(values)
        print(f"  {label:44} {cpu:7.0f} µs  ({cpu / poll:4.2f} x the summary poll; {sizes[label]:6} B sent)")


if __name__ == "__main__":
    main()
