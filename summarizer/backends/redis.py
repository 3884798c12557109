"""Jobs shared by every process on one Redis (`REDIS_URL`): one queue, job state any process can read, and
takeover of what a process that is gone left behind.

- Submit: the job is saved (redis_store.py), admitted by one Lua script across all processes
  (single-flight, per-requester cap, `QUEUE_MAX`) and handed to arq (redis_queue.py).
- Run: a process with a queue worker (the web process with `RUN_WORKER`, or `python -m summarizer worker`)
  takes the job's lease, loads its newest state (chunks done by an earlier attempt are skipped) and runs
  it; each change is checkpointed and announced on `jobs:changed`.
- Follow: a web process keeps a *mirror* of each unfinished job it shows that runs elsewhere, updated from
  `jobs:changed`, so SSE and chat edits work whichever process runs the job.
- Takeover: at start and every `JOB_LEASE_SECONDS`, a live job that is neither leased nor waiting in arq is
  queued again, and the sinks of a process that is gone are shown by this one (web processes only): each job
  is taken in one step, and what was taken is shown before any job is queued again. A chat update a process
  acked is held in Redis until handled; a web process handles those of a process that is gone
  (`orphan_updates`, api/telegram.py). A round that fails (Redis down, say) ends nothing: the next one tries
  again, and an outage is logged once.
- Redis emptied (the free Key Value keeps nothing across its restarts): at each takeover round a process
  writes again what Redis lost of its jobs, from what it holds: the runner a running job's state (inline
  transcript included) and admission; a web process the sinks it shows, and the whole of a waiting job Redis
  no longer knows (no state, no lease, two rounds in a row): state, deliveries, admission, queue entry. The
  job then survives the crash of that process as a freshly submitted one does.
- The residential lane (redis_lane.py): a job YouTube refused here goes to the lane's workers when one was
  seen lately; the same rounds fail the handed-over jobs none took within `RESIDENTIAL_WAIT_SECONDS`.
- Degradation: while the cache finds Redis unreachable, new jobs run in this process's own `LocalBackend`
  without waiting for Redis timeouts (a request never waits for one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from redis.exceptions import RedisError

from core.config import Settings
from core.logs import error_text
from core.tasks import cancel
from core.telemetry import JOBS, JOBS_HANDED_OFF
from summarizer.backends.base import JobBackend, QueueState, Run, ShowIn
from summarizer.backends.local import LocalBackend
from summarizer.backends.redis_lane import RESIDENTIAL, Lane
from summarizer.backends.redis_queue import SharedQueue
from summarizer.backends.redis_store import RedisJobStore
from summarizer.cache import Cache
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobKey, JobStatus
from summarizer.sinks import Sink

log = logging.getLogger(__name__)


class RedisBackend(JobBackend):
    """The jobs of every process on one Redis. `cache` is the engine's: it tells whether Redis is down now
    (it retries with backoff) and whether a twin of a queued job has finished. `serves=False` (a
    worker-only process): it runs jobs and shows none, so it neither follows nor takes over sinks. With
    `WORKER_LANE`, its worker takes the jobs handed to that lane only."""

    resumes = True

    def __init__(
        self,
        settings: Settings,
        run: Run,
        show: ShowIn,
        *,
        cache: Cache,
        serves: bool = True,
    ) -> None:
        super().__init__(settings, run, show)
        assert settings.redis_url, "RedisBackend needs REDIS_URL"
        self.local = LocalBackend(settings, self._run_here, show)
        self.store = RedisJobStore(settings.redis_url, settings.job_state_ttl, settings.job_lease_seconds)
        self.queue = SharedQueue(
            settings.redis_url,
            settings.queue_max,
            settings.max_jobs_per_requester,
            settings.concurrent_jobs,
            settings.job_timeout,
            settings.queue_poll_seconds,
            self.local.queue.retry_after,
            settings.worker_lane,
        )
        self.lane = Lane(self.store.redis, RESIDENTIAL, settings.residential_wait_seconds)
        self._serves = serves
        self._cache = cache
        self._mirrors: dict[str, Job] = {}  # unfinished jobs shown here that run elsewhere
        self._running: set[str] = set()  # ids of the jobs this process runs
        self._from_queue: set[str] = set()  # of those, the ones it took from the shared queue (not local)
        self._unknown: set[str] = set()  # mirrors Redis did not know at the last round
        self._sinks: dict[str, list[Sink]] = {}  # where this process shows each unfinished job
        self._tasks: list[asyncio.Task[None]] = []
        self._round_failed = False  # the last takeover round found Redis unavailable (logged once per outage)

    async def start(self) -> None:
        self.store.start()
        await self._round(self._claim)  # what a process that is gone left: before this one takes new work
        self._spawn(self._claim_orphans(), "claim-orphans")
        if self._serves:
            self._spawn(self._follow_changes(), "follow-changes")
        if self._settings.worker_lane:
            self._spawn(self._announce(), "announce-lane")
        if self._settings.run_worker or not self._serves:
            self.queue.start_worker(self._run_queued)
        await self.local.start()

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel(task)
        await self.local.stop()
        await self.queue.close()
        await self.store.close()

    def in_flight(self, key: JobKey) -> Job | None:
        return self.local.in_flight(key)  # the shared queue's single-flight is part of `submit`

    async def submit(self, job: Job) -> Job:
        if not self._cache.degraded:
            try:
                return await self._submit_shared(job)
            except OSError as error:
                log.warning("shared job queue unavailable (%s): job %s runs in this process", error, job.id)
        job = await self.local.submit(job)
        self.store.checkpoint(job)
        return job

    async def _submit_shared(self, job: Job) -> Job:
        """Admit `job` to the shared queue, or join the job in flight for the same video on any process."""
        # Saved before it is admitted: a job id that single-flight hands to others always has a state,
        # and a process dying right after admission leaves a live job that a takeover queues again.
        if not await self.store.save(job):
            raise ConnectionError("the job could not be saved")
        try:
            job_id = await self.queue.admit(job)
        except SummaryError:  # refused (busy, rate_limited)
            await self.store.discard(job.id)
            raise
        if job_id != job.id:
            await self.store.discard(job.id)
            joined = await self.local.get(job_id) or await self.store.load(job_id)
            if joined is None:  # finished and expired in between: ask again
                raise ConnectionError(f"job {job_id} is gone")
            return self._adopt(joined)
        try:
            await self.store.queued_as(job.id, await self.queue.enqueue(job.id))
        except OSError:
            with contextlib.suppress(OSError):
                await self.queue.release(job)
            raise
        return self._adopt(job)

    async def keep(self, job: Job) -> Job:
        await self.local.keep(job)
        await self.store.save(job)  # found by id on every process
        return job

    async def get(self, job_id: str) -> Job | None:
        if (job := await self.local.get(job_id)) is None:
            job = await self.store.load(job_id)
        return None if job is None else self._adopt(job)

    async def add_sink(self, job: Job, sink: Sink) -> None:
        if not self._cache.degraded:
            await self.store.add_sink(job.id, sink)
            self._shows(job, sink)

    def _shows(self, job: Job, sink: Sink) -> None:
        """Remember that this process shows `job` in `sink` (kept in Redis, written again if it is lost)."""
        if not job.finished:
            self._sinks.setdefault(job.id, []).append(sink)

    async def save_callbacks(self, job: Job) -> None:
        await self.store.save_callbacks(job)

    async def queue_state(self) -> QueueState:
        state = await self.local.queue_state()
        with contextlib.suppress(OSError):
            state["waiting"] += await self.queue.waiting()
        state["running"] = len(self._running)
        return state

    async def hold_update(self, platform: str, update_id: int, update: dict[str, Any]) -> bool:
        # (not while degraded: no Redis timeouts in a request)
        return not self._cache.degraded and await self.store.hold_update(f"{platform}:{update_id}", update)

    async def update_handled(self, platform: str, update_id: int) -> None:
        await self.store.drop_update(f"{platform}:{update_id}")  # (after the ack: also while degraded)

    async def orphan_updates(self, platform: str) -> list[dict[str, Any]]:
        return await self.store.claim_updates(f"{platform}:")

    async def hand_off(self, job: Job, error: SummaryError) -> bool:
        """A job of the shared queue that YouTube refused goes to the residential lane, when a worker of it
        was seen within the wait (not from a lane worker: that one was refused at home too)."""
        if error.code != "blocked" or self._settings.worker_lane or job.id not in self._from_queue:
            return False
        try:
            if not await self.lane.served():
                return False
            await self.store.let_go(job)  # its lease too: the lane's worker takes it
            try:
                entry = await self.queue.enqueue(job.id, lane=self.lane)
            except OSError:
                self.store.checkpoint(job)  # it fails here after all: saved (and leased) again
                raise
            await self.lane.waits(job.id)
        except OSError as unreachable:
            log.warning("job %s could not be handed to the %s lane: %s", job.id, self.lane.name, unreachable)
            return False
        await self.store.queued_as(job.id, entry)
        JOBS_HANDED_OFF.labels(self.lane.name, "handed").inc()
        log.info(
            "job %s for video %s: YouTube refused it here, handed to the %s lane",
            job.id,
            job.video_id,
            self.lane.name,
        )
        return True

    def _adopt(self, job: Job) -> Job:
        """The one object for `job` in this process (updated from `job` when there is one already),
        kept up to date from Redis while it is unfinished."""
        if (known := self.local.recent.get(job.id)) is not None and known is not job:
            known.update_from(job)
            job = known
        self.local.recent.add(job)
        if not job.finished:
            self._mirrors[job.id] = job
        return job

    async def _run_here(self, job: Job) -> None:
        """Run `job` in this process (from the shared queue, or the local one while Redis was down)."""
        self._running.add(job.id)
        try:
            await self._run(job)
        finally:
            self._running.discard(job.id)
            self._from_queue.discard(job.id)
            if job.finished or not self._serves:
                self._mirrors.pop(job.id, None)  # (a job handed to a lane is followed on: it runs elsewhere)

    async def _run_queued(self, job_id: str) -> None:
        """Run a job of the shared queue, unless another process runs it (each attempt is an arq job)."""
        if not await self.store.take(job_id):
            return
        # What Redis holds is the newest state (a process that died may have done chunks since).
        saved = await self.store.load(job_id)
        if (job := self._adopt(saved) if saved else self.local.recent.get(job_id)) is None:
            return
        if self._settings.worker_lane:
            with contextlib.suppress(OSError):
                await self.lane.taken(job_id)
            JOBS_HANDED_OFF.labels(self.lane.name, "taken").inc()
        # Twins (the same video, from two processes that died) run once: the second finds the summary.
        if (cached := await self._cache.get_summary(job.video_id, job.languages, job.variant)) is not None:
            job.finish_from_summary(cached)
        if job.finished:  # by an earlier attempt, or from the cache
            await self.store.save(job)
        else:
            with contextlib.suppress(OSError):
                await self.queue.started(job)
            self.store.checkpoint(job)
            began = time.monotonic()
            self._from_queue.add(job.id)
            await self._run_here(job)
            self.local.queue.record(time.monotonic() - began)  # for Retry-After
        if job.finished:  # not when shutdown cancelled it
            with contextlib.suppress(OSError):
                await self.queue.release(job)

    async def _claim(self) -> None:
        """Take over the jobs of processes that are gone: queue the interrupted ones again (they skip the
        chunks already done) and, in a web process, show them again where they were shown."""
        orphans = await self.store.claim_orphans(self._serves, self.queue.queued)
        # All shown before any is queued again: their sinks are this process's now, and a queueing that fails
        # (Redis gone) ends the round. A job left unqueued is queued by a later round, once its claim expires.
        for orphan in orphans:
            if orphan.sinks:  # (kept here only to be shown: a worker process holds no jobs it does not run)
                orphan.job = self._adopt(orphan.job)
            for sink in orphan.sinks:
                self._shows(orphan.job, sink)
                self._show(orphan.job, sink)
        for job in (orphan.job for orphan in orphans if orphan.rerun):
            log.info("resuming job %s for video %s at chunk %d", job.id, job.video_id, len(job.chunks))
            await self.store.queued_as(job.id, await self.queue.requeue(job))
            if job.status is JobStatus.RUNNING:
                job.status = JobStatus.QUEUED
                await self.store.save(job)

    async def _claim_orphans(self) -> None:
        """Look for the jobs of processes that died, and for handed-over jobs no lane worker took in time,
        once per lease (a lease outlives three heartbeats)."""
        while True:
            await asyncio.sleep(self.store.lease)
            await self._round(self._claim, self._expire_hand_offs, self._restore_lost)

    async def _round(self, *steps: Callable[[], Awaitable[None]]) -> None:
        """One takeover round: `steps` in turn, until one fails. A failure never ends the takeover (the next
        round, a lease later, tries again): a Redis outage is logged once, at the first round it fails."""
        try:
            for step in steps:
                await step()
        except (RedisError, OSError) as error:  # (the queue and lanes raise `RedisUnavailable`, an OSError)
            if not self._round_failed:
                log.warning(
                    "takeover of jobs: Redis unavailable (%s), trying again every %g s",
                    error_text(error),
                    self.store.lease,
                )
            self._round_failed = True
        except Exception:
            log.exception("takeover of jobs: a round failed, trying again in %g s", self.store.lease)
        else:
            self._round_failed = False

    async def _restore_lost(self) -> None:
        """Write again what Redis lost (it restarted empty) of the unfinished jobs this process runs or shows,
        from what it holds: the sinks it shows them in; the state and admission of those it runs; and, for a
        job shown here that Redis has known neither saved nor leased at two rounds in a row (a runner's
        heartbeat restores its lease within a third of a round), everything a submission writes, queued
        again. Each is then taken over as a freshly submitted job is if this process dies next."""
        for job_id in self._sinks.keys() - self._mirrors.keys():
            del self._sinks[job_id]  # finished (or no longer followed here)
        unknown = set()
        for job_id, job in list(self._mirrors.items()):
            if job.finished:
                continue
            sinks = self._sinks.get(job_id)
            if sinks and await self.store.keep_sinks(job_id, sinks) and job.callbacks:
                await self.store.save_callbacks(job)  # how they went is known here (engine.py `report`)
            if job_id in self._running:
                if await self.store.restore(job):
                    log.warning(
                        "job %s for video %s: Redis lost it (emptied?), saved again", job_id, job.video_id
                    )
                    await self.queue.readmit(job)
            elif not await self.store.known(job_id):
                unknown.add(job_id)
        for job_id in unknown & self._unknown:
            job = self._mirrors[job_id]
            log.warning("job %s for video %s: Redis lost it (emptied?), queued again", job_id, job.video_id)
            if job.status is JobStatus.RUNNING:
                job.status = JobStatus.QUEUED
            await self.store.save(job)  # (its sinks and deliveries were listed again above)
            await self.store.queued_as(job_id, await self.queue.requeue(job))
        self._unknown = unknown - self._unknown

    async def _expire_hand_offs(self) -> None:
        """Fail the jobs whose wait for a lane worker has ended (one process each: the lease decides)."""
        for job_id in await self.lane.overdue():
            if not await self.store.take(job_id):
                continue  # a worker of the lane took it just now
            job = await self.store.load(job_id)
            if job is not None and not job.finished:
                job = self._adopt(job)
                job.fail(self.lane.gave_up())
                await self.store.save(job)
                await self.queue.release(job)
                JOBS.labels("blocked").inc()
                JOBS_HANDED_OFF.labels(self.lane.name, "expired").inc()
                log.info(
                    "job %s for video %s: no %s worker took it in time", job_id, job.video_id, self.lane.name
                )
            await self.lane.forget(job_id)

    async def _announce(self) -> None:
        """Tell the other processes that this worker serves its lane, three times per lease."""
        while True:
            with contextlib.suppress(OSError):
                await self.lane.announce(self.store.owner)
            await asyncio.sleep(self.store.lease / 3)

    async def _follow_changes(self) -> None:
        """Keep the jobs shown here that run elsewhere up to date, as their runner checkpoints them."""
        async for job_id in self.store.changes():
            for shown in [job_id] if job_id else list(self._mirrors):
                job = self._mirrors.get(shown)
                if job is None or shown in self._running:
                    continue
                if (saved := await self.store.load(shown)) is not None:
                    job.update_from(saved)
                if job.finished:
                    del self._mirrors[shown]
