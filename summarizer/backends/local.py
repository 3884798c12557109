"""Jobs in this process only: the bounded in-process queue and the recent jobs in memory.

The mode without `REDIS_URL` (and of the CLI); with it, `RedisBackend` keeps one of these for the jobs that
come while Redis is unreachable. Nothing is saved: a restart forgets every job.
"""

from __future__ import annotations

from collections import OrderedDict

from core.config import Settings
from summarizer.backends.base import JobBackend, QueueState, Run, ShowIn
from summarizer.backends.local_queue import JobQueue
from summarizer.jobs import Job, JobKey
from summarizer.sinks import Sink


class RecentJobs:
    """Jobs by id; keeps at most `limit` finished jobs (oldest forgotten first), never drops live ones."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def add(self, job: Job) -> None:
        self._jobs[job.id] = job
        if len(self._jobs) > self._limit:
            for old in [j for j in self._jobs.values() if j.finished][: len(self._jobs) - self._limit]:
                del self._jobs[old.id]

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def __len__(self) -> int:
        return len(self._jobs)


class LocalBackend(JobBackend):
    """`QUEUE_MAX` jobs wait, `CONCURRENT_JOBS` run at a time, `MAX_JOBS_PER_REQUESTER` each; the last
    `JOBS_KEPT` finished jobs are found by id."""

    def __init__(self, settings: Settings, run: Run, show: ShowIn) -> None:
        super().__init__(settings, run, show)
        self.recent = RecentJobs(settings.jobs_kept)
        self.queue = JobQueue(
            run,
            maxsize=settings.queue_max,
            concurrency=settings.concurrent_jobs,
            max_per_requester=settings.max_jobs_per_requester,
        )

    async def start(self) -> None:
        self.queue.start()

    async def stop(self) -> None:
        await self.queue.stop()

    def in_flight(self, key: JobKey) -> Job | None:
        return self.queue.in_flight(key)

    async def submit(self, job: Job) -> Job:
        job = self.queue.submit(job)
        self.recent.add(job)
        return job

    async def keep(self, job: Job) -> Job:
        self.recent.add(job)
        return job

    async def get(self, job_id: str) -> Job | None:
        return self.recent.get(job_id)

    async def add_sink(self, job: Job, sink: Sink) -> None:
        """Nothing to keep: no other process could show the job."""

    async def save_callbacks(self, job: Job) -> None:
        """Nothing to keep: the job object is the only copy."""

    async def queue_state(self) -> QueueState:
        return {"waiting": self.queue.waiting, "running": self.queue.running, "max": self._settings.queue_max}
