"""Where should the summarizer run? Ack latency at 0.1 CPU with the work in a thread vs a nice-19 process.

    sudo .venv/bin/python benchmarks/offload.py        # needs root for the cgroup (benchmarks/cgroup.py)

For each mode it starts the service under a 0.1-CPU / 512 MB cgroup (the load generator stays outside),
times a trivial request (POST /v1/summaries with a bad link: routing, validation, error body) while idle
and while the long transcripts are summarized, and prints p50/p99/max in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.cgroup import Cgroup  # noqa: E402

TRANSCRIPTS = ROOT / "tests" / "data" / "transcripts"
LONG = ["cdiD-9MMpb0", "FtriFMxsOWw", "3zu317upAUA", "eMlx5fFNoYc", "sektMcC_PAk"]
T = TypeVar("T")


class ThreadRunner:
    """The alternative under test: run the CPU-heavy steps in a thread of the web process."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(fn, *args)

    async def stop(self) -> None:
        pass


def serve(mode: str, port: int) -> None:
    import uvicorn

    from api.main import create_app
    from core.config import Settings

    settings = Settings(transcript_dir=str(TRANSCRIPTS), queue_max=50, max_jobs_per_requester=50)
    runner = ThreadRunner() if mode == "thread" else None
    if runner is not None:  # the same warm-up the worker process does, so both start equal
        from summarizer.extractive import warm_up

        warm_up()
    uvicorn.run(create_app(settings, runner), host="127.0.0.1", port=port, log_level="warning")


async def measure(mode: str, port: int, samples: int) -> dict[str, list[float]]:
    import httpx

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    group = Cgroup(f"yt-offload-{os.getpid()}-{mode}")  # 0.1 CPU, 512 MB; the load generator stays outside
    group.create()
    command = [sys.executable, __file__, "serve", "--mode", mode, "--port", str(port)]
    server = await asyncio.create_subprocess_exec(
        *command, env=env, stderr=asyncio.subprocess.DEVNULL, preexec_fn=group.join
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, list[float]] = {"idle": [], "busy": [], "jobs_s": []}
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for _ in range(600):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)

            async def ack() -> float:
                began = time.perf_counter()
                response = await client.post("/v1/summaries", json={"url": "not a link"})
                assert response.status_code == 422
                return (time.perf_counter() - began) * 1000

            await asyncio.sleep(5)  # let start-up (and the child's imports) settle
            for _ in range(samples):
                results["idle"].append(await ack())
                await asyncio.sleep(0.05)
            submitted = time.perf_counter()
            ids = [(await client.post("/v1/summaries", json={"url": v})).json()["id"] for v in LONG]
            while True:
                if len(results["busy"]) < samples:
                    results["busy"].append(await ack())
                await asyncio.sleep(0.05)
                jobs = [(await client.get(f"/v1/summaries/{i}")).json() for i in ids]
                if all(j["status"] in ("done", "failed") for j in jobs):
                    break
            results["jobs_s"].append(time.perf_counter() - submitted)
    finally:
        server.terminate()
        await server.wait()
        group.remove()
    return results


def report(mode: str, results: dict[str, list[float]]) -> None:
    print(f"{mode:8} the {len(LONG)} transcripts took {results.pop('jobs_s')[0]:.1f} s of wall time")
    for phase, values in results.items():
        values = sorted(values)
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        print(
            f"{mode:8} {phase:5} n={len(values):3}  p50 {statistics.median(values):7.1f} ms  "
            f"p99 {p99:7.1f} ms  max {values[-1]:7.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", nargs="?", default="compare", choices=["compare", "serve"])
    parser.add_argument("--mode", choices=["thread", "process"], default="process")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.mode, args.port)
        return
    for mode in ("thread", "process"):
        report(mode, asyncio.run(measure(mode, args.port, args.samples)))


if __name__ == "__main__":
    main()
