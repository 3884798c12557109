"""The in-process job queue: bounded, single-flight, fair per requester, run in order (LocalBackend's)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable

from core.tasks import cancel
from core.telemetry import JOBS_REFUSED
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobKey

log = logging.getLogger(__name__)


class JobQueue:
    """Holds at most `maxsize` waiting jobs and runs them in order, `concurrency` at a time.

    A job whose key is already queued or running is joined instead of added (single-flight);
    a requester may have at most `max_per_requester` jobs in flight.
    """

    def __init__(
        self,
        run: Callable[[Job], Awaitable[None]],
        maxsize: int,
        concurrency: int = 1,
        max_per_requester: int = 3,
    ) -> None:
        self._run = run
        self._queue: asyncio.Queue[Job] = asyncio.Queue(maxsize)
        self._concurrency = concurrency
        self._max_per_requester = max_per_requester
        self._in_flight: dict[JobKey, Job] = {}
        self._per_requester: Counter[str] = Counter()
        self._tasks: list[asyncio.Task[None]] = []
        self._running = 0
        self._job_seconds = 60.0  # moving average of job wall time, for Retry-After

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    @property
    def running(self) -> int:
        return self._running

    def in_flight(self, key: JobKey) -> Job | None:
        return self._in_flight.get(key)

    def retry_after(self, ahead: int | None = None) -> int:
        """Seconds until a slot is likely free: the work `ahead` (this queue's by default) divided among
        the jobs run at once, at the average job time seen here."""
        if ahead is None:
            ahead = self.waiting + self._running
        return min(3600, max(5, math.ceil(ahead * self._job_seconds / self._concurrency)))

    def record(self, seconds: float) -> None:
        """Count a job's wall time in the average (jobs of the shared queue run outside this one)."""
        self._job_seconds = 0.8 * self._job_seconds + 0.2 * seconds

    def submit(self, job: Job) -> Job:
        """Queue `job`, or return the in-flight job with the same key.

        Raises `SummaryError("rate_limited")` or `SummaryError("busy")` (with `retry_after`).
        """
        if (existing := self._in_flight.get(job.key)) is not None:
            return existing
        if self._per_requester[job.requester] >= self._max_per_requester:
            JOBS_REFUSED.labels("rate_limited").inc()
            raise SummaryError("rate_limited", retry_after=self.retry_after())
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            JOBS_REFUSED.labels("busy").inc()
            raise SummaryError("busy", retry_after=self.retry_after()) from None
        self._in_flight[job.key] = job
        self._per_requester[job.requester] += 1
        return job

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"job-runner-{i}") for i in range(self._concurrency)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel(task)
        self._tasks = []

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            self._running += 1
            began = time.monotonic()
            try:
                await self._run(job)
            except Exception:  # the runner reports job errors itself; this only keeps the worker alive
                log.exception("job %s crashed the runner", job.id)
            finally:
                self._running -= 1
                self.record(time.monotonic() - began)
                del self._in_flight[job.key]
                self._per_requester[job.requester] -= 1
                if not self._per_requester[job.requester]:
                    del self._per_requester[job.requester]
                self._queue.task_done()
