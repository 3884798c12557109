"""Follow a job to its end and hand its state to a platform, coalescing updates to spare rate limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from summarizer.jobs import Job


async def follow(job: Job, update: Callable[[Job], Awaitable[None]], min_interval: float) -> None:
    """Call `update(job)` as the job changes: at most once per `min_interval` seconds, always for the end.

    Changes that arrive while waiting are folded into the next call (the job object holds the newest state).
    """
    last_call = -float("inf")
    shown = -1
    async for current in job.changes():
        assert current is not None
        if not current.finished:
            delay = last_call + min_interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        if job.version == shown:
            continue
        shown = job.version
        last_call = time.monotonic()
        await update(job)
