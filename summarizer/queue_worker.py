"""`python -m summarizer worker`: a process that only runs jobs of the shared queue (needs `REDIS_URL`).

Start any number, on any machine that reaches the same Redis, with the web service's environment; set
`RUN_WORKER=false` on the web service so that it leaves the work to them (docs/scaling.md). SIGTERM or
Ctrl-C stops taking jobs; the running ones are checkpointed and queued again for another worker.
"""

from __future__ import annotations

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
    log.info("worker started: running jobs of the shared queue")
    try:
        await stop.wait()
    finally:
        log.info("worker stopping: running jobs are checkpointed and queued again")
        await engine.stop()


def main() -> int:
    settings = Settings()
    logs.configure(settings.log_level, settings.log_format)
    logs.hide(*settings.secret_values())
    if not settings.redis_url:
        log.error("a separate worker needs REDIS_URL: without it the web service runs every job itself")
        return 2
    asyncio.run(run(settings))
    return 0
