"""`python -m summarizer worker [--lane residential]`: a process that only runs jobs of the shared queue
(needs `REDIS_URL`).

Start any number, on any machine that reaches the same Redis, with the web service's environment; set
`RUN_WORKER=false` on the web service so that it leaves the work to them (docs/scaling.md). With `--lane
residential` (or `WORKER_LANE=residential`) it takes only the jobs YouTube refused elsewhere: run it where
YouTube serves transcripts, e.g. at home (summarizer/backends/redis_lane.py, docs/deploy.md). SIGTERM or
Ctrl-C stops taking jobs; the running ones are checkpointed and queued again for another worker.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from core import logs
from core.config import Settings
from summarizer.engine import Engine

log = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    """Run jobs until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    engine = Engine.from_settings(settings, serves=False)
    await engine.start()
    lane = f"the {settings.worker_lane} lane" if settings.worker_lane else "the shared queue"
    log.info("worker started: running jobs of %s", lane)
    try:
        await stop.wait()
    finally:
        log.info("worker stopping: running jobs are checkpointed and queued again")
        await engine.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m summarizer worker",
        description="Run jobs of the shared queue in Redis (REDIS_URL) until SIGTERM.",
    )
    parser.add_argument(
        "--lane",
        choices=["residential"],
        help="take only the jobs YouTube refused elsewhere (overrides WORKER_LANE)",
    )
    args = parser.parse_args(argv)
    settings = Settings(**({"worker_lane": args.lane} if args.lane else {}))
    logs.configure(settings.log_level, settings.log_format)
    logs.hide(*settings.secret_values())
    if not settings.redis_url:
        log.error("a separate worker needs REDIS_URL: without it the web service runs every job itself")
        return 2
    asyncio.run(run(settings))
    return 0
