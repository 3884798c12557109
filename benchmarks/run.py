"""Issue 6's benchmarks: the service and the baseline side by side at 0.1 CPU / 512 MB.

    .venv/bin/pip install -r benchmarks/requirements.txt      # matplotlib, for the chart
    sudo .venv/bin/python benchmarks/run.py [--quick]           # ~15 min (--quick: ~5 min)

Each service runs in a cgroup this script makes (root; see benchmarks/cgroup.py), the load generator
and the fake Telegram/Discord APIs outside it, everything on the loopback. Writes docs/benchmarks.md
and docs/benchmarks.png. Without root: `--wrap "systemd-run --user --scope -p CPUQuota=10% -p
MemoryMax=512M"` limits the service the same way (CPU then read from /proc); `--no-cgroup` runs
unlimited; `--smoke` is a seconds-long unlimited run that only checks the harness (the test suite's).
`--redis` gives the service a Redis (a redis-server on a free port, outside the budget, like Render's Key
Value): cache, shared queue and job state then go through it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import redis  # noqa: E402

from benchmarks import fakes, report  # noqa: E402
from benchmarks.cgroup import Cgroup  # noqa: E402
from benchmarks.scenarios import PLANS, SCENARIOS, Context, Results, Transcripts, free_port  # noqa: E402
from benchmarks.server import Budget  # noqa: E402

DOCS = ROOT / "docs"


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return f"{platform.machine()}, {model}, Linux {platform.release()}, Python {platform.python_version()}"


async def run(
    mode: str,
    budget: Budget,
    workdir: Path,
    redis_url: str | None,
    targets: tuple[str, ...] = ("real", "baseline"),
    only: Sequence[str] = (),
) -> Results:
    """Every scenario, for the service and then the baseline; logs and transcripts go to `workdir`."""
    results = Results()
    plan = PLANS[mode]
    fake = fakes.FakePlatforms()
    async with fake.running() as fake_url, httpx.AsyncClient(timeout=60) as client:
        ctx = Context(
            client,
            plan,
            budget,
            workdir,
            Transcripts(workdir / "transcripts"),
            fakes.Platforms(),
            fake,
            fake_url,
            results,
            redis_url,
        )
        for name, scenario in SCENARIOS.items():
            if only and name not in only:
                continue
            for target in targets:
                if name == "memory with a full queue" and target == "baseline":
                    continue  # no queue: its peak is measured on the 3.5 h summary instead
                began = time.perf_counter()
                print(f"{name:26} {target:8} …", end=" ", flush=True)
                try:
                    await scenario(ctx, target)
                except (
                    Exception
                ) as error:  # the report still comes, with what was measured and why not the rest
                    results.notes.append(f"{name} ({target}) did not finish: {type(error).__name__}: {error}")
                    print(f"did not finish: {error!r}", end=" ")
                print(f"{time.perf_counter() - began:.0f} s", flush=True)
    report.derive(results)
    return results


@contextmanager
def redis_server(wanted: bool, workdir: Path) -> Iterator[str | None]:
    """A throwaway redis-server on a free port (never a machine's own 6379), or None when not `wanted`."""
    if not wanted:
        yield None
        return
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    server = subprocess.Popen(["redis-server", *args, "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    try:
        with redis.Redis(port=port) as client:
            for _ in range(500):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.kill()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick", help="fewer repeats")
    mode.add_argument("--smoke", dest="mode", action="store_const", const="smoke", help="harness check only")
    parser.set_defaults(mode="full")
    parser.add_argument("--no-cgroup", action="store_true", help="run the services unlimited")
    parser.add_argument("--wrap", default="", help="command prefix that limits the service (systemd-run)")
    parser.add_argument("--markdown", type=Path, default=DOCS / "benchmarks.md")
    parser.add_argument("--chart", type=Path, default=DOCS / "benchmarks.png")
    parser.add_argument("--json", type=Path, help="also write the raw samples here")
    parser.add_argument("--redis", action="store_true", help="run the service with a Redis (REDIS_URL)")
    parser.add_argument("--keep-logs", type=Path, help="copy the services' logs to this folder")
    parser.add_argument(
        "--service-only",
        action="store_true",
        help="skip the baseline (half the time; to compare two commits)",
    )
    parser.add_argument(
        "--only", action="append", choices=list(SCENARIOS), default=[], help="run this scenario (repeatable)"
    )
    args = parser.parse_args()
    use_cgroup = not (args.no_cgroup or args.wrap or args.mode == "smoke")
    if use_cgroup and not Cgroup.available():
        parser.error(
            "making a cgroup needs root (sudo), or use --wrap 'systemd-run --user --scope ...' / --no-cgroup"
        )
    budget = Budget(cgroup=use_cgroup, wrap=shlex.split(args.wrap))
    started = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="yt-bench-") as tmp, redis_server(args.redis, Path(tmp)) as url:
        targets = ("real",) if args.service_only else ("real", "baseline")
        results = asyncio.run(run(args.mode, budget, Path(tmp), url, targets, args.only))
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in Path(tmp).glob("*.log"):
                (args.keep_logs / log.name).write_bytes(log.read_bytes())
    limit = "a cgroup of its own, 0.1 CPU / 512 MB" if use_cgroup else (args.wrap or "none (unlimited)")
    command = shlex.join(["benchmarks/run.py", *sys.argv[1:]])
    header = [
        f"- **Date**: {started:%Y-%m-%d %H:%M} UTC; mode `{args.mode}`",
        f"- **Machine**: {machine()}",
        f"- **Budget of each service**: {limit}; load generator and fake platform APIs outside it, loopback only",
        f"- **Command**: `sudo .venv/bin/python {command}`",
        "- **Redis**: " + ("a redis-server on the loopback, outside the budget" if args.redis else "none"),
        "- **Before**: `benchmarks/baseline/app.py` (heavy imports, LexRank over the whole transcript inside "
        "the request, no cache, uvicorn defaults). **After**: `uvicorn api.main:app --workers 1` (render.yaml).",
    ]
    chart = None
    if args.only:  # the chart needs every scenario
        results.notes.append(f"no chart: only {', '.join(args.only)} ran")
    elif report.chart(results, args.chart):
        chart = args.chart
    else:
        results.notes.append(
            "no chart: matplotlib is not installed (pip install -r benchmarks/requirements.txt)"
        )
    args.markdown.write_text(report.markdown(results, header, chart), encoding="utf-8")
    if args.json:
        raw = {
            "samples": results.samples,
            "unavailable": {k: sorted(v) for k, v in results.unavailable.items()},
        }
        args.json.write_text(json.dumps(raw, indent=1), encoding="utf-8")
    print(f"wrote {args.markdown}" + (f" and {chart}" if chart else ""))


if __name__ == "__main__":
    main()
