"""The engine: takes summary requests, runs them through the queue, keeps and caches the results.

One job runs: transcript (cache → inline / folder / YouTube) → chunks → key points per chunk
(in the low-priority worker process, or by a chat model: summarizer/abstractive.py) → TL;DR → cache.
Listeners follow `Job.changes()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from summarizer.abstractive import LLMSummarizer
from summarizer.cache import Cache, memory_cache, redis_cache
from summarizer.chunking import prepare
from summarizer.circuit import CircuitBreaker
from summarizer.errors import SummaryError
from summarizer.extractive import make_tldr, summarize_chunk
from summarizer.jobs import Job, JobStatus, JobStore, chunk_from_dict, chunk_to_dict
from summarizer.llm import ChatClient
from summarizer.models import Transcript
from summarizer.queue import JobQueue
from summarizer.rate_limit import RateLimiter
from summarizer.tasks import cancel
from summarizer.telemetry import CHUNK_SECONDS, JOB_SECONDS, JOBS, JOBS_REFUSED
from summarizer.transcripts import FolderSource, TranscriptSource, YouTubeSource
from summarizer.worker_process import WorkerProcess

if TYPE_CHECKING:
    from api.settings import Settings
    from summarizer.job_store import RedisJobStore
    from summarizer.shared_queue import SharedQueue

log = logging.getLogger(__name__)
T = TypeVar("T")
Sink = dict[str, Any]  # where a job is shown: {"kind": "telegram" | "discord" | "callback", ...}


class Runner(Protocol):
    """Where CPU-heavy steps run: the worker process in the service, inline in the CLI."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...


class InlineRunner:
    """Runs steps in this process (for the CLI, where nothing else needs the CPU)."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)


class Engine:
    """Summary requests in, jobs out; see the module docstring for the path of a job."""

    def __init__(
        self,
        settings: Settings,
        source: TranscriptSource,
        cache: Cache,
        runner: Runner,
        durable: bool = True,
        serves: bool = True,
    ) -> None:
        """`durable=False` (the CLI): its jobs are neither kept in Redis nor does it resume others'.
        `serves=False` (`python -m summarizer worker`): it only runs jobs, it shows none (no sinks)."""
        self.settings = settings
        self.source = source
        self.cache = cache
        self.runner = runner
        self.jobs = JobStore(settings.jobs_kept)
        self.queue = JobQueue(
            self._run,
            maxsize=settings.queue_max,
            workers=settings.workers,
            max_per_requester=settings.max_jobs_per_requester,
        )
        # With Redis, every job is checkpointed there (found by any process, resumed after a restart) and
        # the queue is shared by all processes; the in-process one above runs what comes while Redis is
        # unreachable (and everything without REDIS_URL).
        self.store: RedisJobStore | None = None
        self.shared: SharedQueue | None = None
        if settings.redis_url and durable:
            # Imported only with REDIS_URL: arq and these modules cost 7 ms of CPU on top of `import
            # api.main` (getrusage, 5 runs), about 70 ms of wall time at 0.1 CPU.
            from summarizer.job_store import RedisJobStore
            from summarizer.shared_queue import SharedQueue

            self.store = RedisJobStore(settings.redis_url, settings.job_state_ttl, settings.job_lease_seconds)
            self.shared = SharedQueue(
                settings.redis_url,
                settings.queue_max,
                settings.max_jobs_per_requester,
                settings.workers,
                settings.job_timeout,
                settings.queue_poll_seconds,
                self.queue.retry_after,
            )
        self.serves = serves
        # Why new work should be refused now (e.g. event-loop lag), or None; the app sets it.
        self.overloaded: Callable[[], str | None] = lambda: None
        # Starts showing a job in a sink (a chat message, a callback); the app sets it.
        self.on_sink: Callable[[Job, Sink], None] = lambda job, sink: None
        self._mirrors: dict[str, Job] = {}  # unfinished jobs shown here, kept up to date from Redis
        self._running: set[str] = set()  # ids of the jobs this process runs
        self._tasks: list[asyncio.Task[None]] = []
        self.rate_limiter = RateLimiter(settings.rate_limit, settings.redis_url)
        self.youtube = CircuitBreaker(settings.youtube_breaker_failures, settings.youtube_breaker_cooldown)
        self.llm = _llm_summarizer(settings, runner)

    @classmethod
    def from_settings(
        cls, settings: Settings, runner: Runner | None = None, durable: bool = True, serves: bool = True
    ) -> Engine:
        source: TranscriptSource = (
            FolderSource(settings.transcript_dir)
            if settings.transcript_dir
            else YouTubeSource.from_settings(settings)
        )
        ttls = {
            "summary_ttl": settings.summary_ttl,
            "transcript_ttl": settings.transcript_ttl,
            "negative_ttl": settings.negative_ttl,
        }
        cache = (
            redis_cache(settings.redis_url, **ttls)
            if settings.redis_url
            else memory_cache(max_keys=settings.cache_max_keys, **ttls)
        )
        return cls(
            settings,
            source,
            cache,
            runner or WorkerProcess(settings.summarizer_cpu_share, settings.worker_idle_seconds),
            durable,
            serves,
        )

    async def start(self) -> None:
        await self.cache.check()  # an unreachable Redis is logged and flagged now, not at the first request
        # The summarizer process starts with the first job, not with the service: started at once, its
        # imports (sumy, ~0.33 CPU-s) shared the cold start's 0.1 CPU with the first ack. First Telegram
        # ack after start: 6.44 -> 4.8 s wall, 0.654 -> 0.488 CPU-s (median, docs/benchmarks.md); the first
        # job pays instead (2.9 -> 4.3 s). It ends after WORKER_IDLE_SECONDS without work: RSS of the service
        # 66 MiB idle after start, 149 MiB with the child, 80 MiB once it ended (/proc VmRSS, no cgroup).
        if self.store is not None:
            self.store.start()
            with contextlib.suppress(OSError):  # Redis down: the next round (every lease) tries again
                await self._claim()  # what a process that is gone left: before this one takes new work
            self._spawn(self._claim_orphans(), "claim-orphans")
            if self.serves:
                self._spawn(self._follow_changes(), "follow-changes")
        if self.shared is not None and (self.settings.run_worker or not self.serves):
            self.shared.start_worker(self._run_queued)
        self.queue.start()

    def _spawn(self, coroutine: Any, name: str) -> None:
        self._tasks.append(asyncio.create_task(coroutine, name=name))

    async def _claim(self) -> None:
        """Take over the jobs of processes that are gone: queue the interrupted ones again (they skip the
        chunks already done) and, in a web process, show them again where they were shown."""
        assert self.store is not None and self.shared is not None
        for orphan in await self.store.claim_orphans(self.serves, self.shared.queued):
            # Kept here only to be shown: a worker process holds no jobs it does not run.
            job = self._adopt(orphan.job) if orphan.sinks else orphan.job
            if orphan.rerun:
                log.info("resuming job %s for video %s at chunk %d", job.id, job.video_id, len(job.chunks))
                await self.store.queued_as(job.id, await self.shared.requeue(job))
                if job.status is JobStatus.RUNNING:
                    job.status = JobStatus.QUEUED
                    await self.store.save(job)
            for sink in orphan.sinks:
                self.on_sink(job, sink)

    async def _claim_orphans(self) -> None:
        """Look for the jobs of processes that died, once per lease (a lease outlives three heartbeats)."""
        assert self.store is not None
        while True:
            await asyncio.sleep(self.store.lease)
            with contextlib.suppress(OSError):  # the next round tries again
                await self._claim()

    async def _follow_changes(self) -> None:
        """Keep the jobs shown here that run elsewhere up to date, as their runner checkpoints them."""
        assert self.store is not None
        async for job_id in self.store.changes():
            for shown in [job_id] if job_id else list(self._mirrors):
                job = self._mirrors.get(shown)
                if job is None or shown in self._running:
                    continue
                if (saved := await self.store.load(shown)) is not None:
                    job.update_from(saved)
                if job.finished:
                    del self._mirrors[shown]

    def _adopt(self, job: Job) -> Job:
        """The one object for `job` in this process (updated from `job` when there is one already),
        kept up to date from Redis while it is unfinished."""
        if (known := self.jobs.get(job.id)) is not None and known is not job:
            known.update_from(job)
            job = known
        self.jobs.add(job)
        if not job.finished and self.store is not None:
            self._mirrors[job.id] = job
        return job

    async def stop(self) -> None:
        """Stop taking and running work; with Redis, unfinished jobs stay checkpointed for the next process."""
        for task in self._tasks:
            await cancel(task)
        await self.queue.stop()
        if self.shared is not None:
            await self.shared.close()
        if self.store is not None:
            await self.store.close()
        if isinstance(self.runner, WorkerProcess):
            await self.runner.stop()
        if self.llm is not None:
            await self.llm.client.close()
        await self.cache.close()

    async def queue_state(self) -> dict[str, int]:
        """Jobs waiting (with Redis: for any worker of the shared queue too), jobs running in this process,
        and the bound on waiting jobs."""
        waiting = self.queue.waiting
        if self.shared is not None:
            with contextlib.suppress(OSError):
                waiting += await self.shared.waiting()
        return {"waiting": waiting, "running": len(self._running), "max": self.settings.queue_max}

    def languages_for(self, requested: Sequence[str] | None) -> tuple[str, ...]:
        """The request's languages first, then the configured defaults, without repeats."""
        return tuple(dict.fromkeys([*(requested or ()), *self.settings.languages]))

    async def submit(
        self,
        video_id: str,
        languages: Sequence[str] | None = None,
        requester: str = "",
        transcript: Transcript | None = None,
        summarizer: str | None = None,
    ) -> tuple[Job, bool]:
        """Return `(job, finished_from_cache)`; queues new work or joins the same video in flight.

        `summarizer` ("extractive" or "llm") overrides `SUMMARIZER`. Raises `SummaryError` `busy` /
        `rate_limited` when the work cannot be taken, `invalid_request` for "llm" without a model.
        """
        kind, writing = self._summarizer_for(summarizer, languages)
        await self.rate_limiter.hit(requester)
        langs = (transcript.language_code,) if transcript else self.languages_for(languages)
        job = Job(video_id, langs, requester, transcript, summarizer=kind, output_language=writing)
        if (in_flight := self.queue.in_flight(job.key)) is not None:
            return in_flight, False
        if (cached := await self.cache.get_summary(video_id, langs, _variant(job))) is not None:
            return await self._remember(_job_from_summary(job, cached)), True
        if transcript is None and (failure := await self.cache.get_failure(video_id, langs)) is not None:
            job.fail(failure)
            return await self._remember(job), True
        if (reason := self.overloaded()) is not None:  # new work waits; cache hits above still flow
            JOBS_REFUSED.labels("busy").inc()
            raise SummaryError(
                "busy", f"The server is overloaded ({reason}); please try again in a minute.", retry_after=60
            )
        # While the cache finds Redis down (it retries with backoff), new jobs run here without asking it:
        # a request waits for no Redis timeouts (Discord answers within 3 s).
        if self.shared is not None and not self.cache.degraded:
            try:
                return await self._submit_shared(job), False
            except OSError as error:
                log.warning("shared job queue unavailable (%s): job %s runs in this process", error, job.id)
        return await self._remember(self.queue.submit(job)), False

    async def _submit_shared(self, job: Job) -> Job:
        """Admit `job` to the shared queue, or join the job in flight for the same video on any process."""
        assert self.shared is not None and self.store is not None
        # Saved before it is admitted: a job id that single-flight hands to others always has a state,
        # and a process dying right after admission leaves a live job that a takeover queues again.
        if not await self.store.save(job):
            raise ConnectionError("the job could not be saved")
        try:
            job_id = await self.shared.admit(job)
        except SummaryError:
            await self.store.discard(job.id)
            raise
        if job_id != job.id:
            await self.store.discard(job.id)
            joined = self.jobs.get(job_id) or await self.store.load(job_id)
            if joined is None:  # finished and expired in between: ask again
                raise ConnectionError(f"job {job_id} is gone")
            return self._adopt(joined)
        try:
            await self.store.queued_as(job.id, await self.shared.enqueue(job.id))
        except OSError:
            with contextlib.suppress(OSError):
                await self.shared.release(job)
            raise
        return self._adopt(job)

    async def report(self, job: Job, sink: Sink) -> None:
        """Show `job` in `sink` from now on (with Redis, a web process takes over if this one dies)."""
        if self.store is not None and not self.cache.degraded:
            await self.store.add_sink(job.id, sink)
        self.on_sink(job, sink)

    def _summarizer_for(
        self, requested: str | None, languages: Sequence[str] | None
    ) -> tuple[str, str | None]:
        """The job's summarizer name and the language an LLM writes in (None: the transcript's)."""
        if (requested or self.settings.summarizer) == "extractive":
            return "extractive", None
        if self.llm is None:
            raise SummaryError(
                "invalid_request",
                "LLM summaries are not configured on this service (LLM_BASE_URL, LLM_MODEL); "
                'leave "summarizer" out or ask for "extractive".',
            )
        return self.llm.name, languages[0] if languages else None

    async def save_callbacks(self, job: Job) -> None:
        """Keep how `job`'s REST callbacks went, for every process (`GET` shows it)."""
        if self.store is not None:
            await self.store.save_callbacks(job)

    async def get(self, job_id: str) -> Job | None:
        """A job of this process, or (with Redis) of any process, kept up to date while it runs."""
        if (job := self.jobs.get(job_id)) is None and self.store is not None:
            job = await self.store.load(job_id)
        return None if job is None else self._adopt(job)

    async def _remember(self, job: Job) -> Job:
        """Keep `job` here and, with Redis, for every process (a finished one too: it is found by id)."""
        self.jobs.add(job)
        if self.store is not None:
            if job.finished:
                await self.store.save(job)
            else:  # run in this process: the in-process queue
                self.store.checkpoint(job)
        return job

    async def _run_queued(self, job_id: str) -> None:
        """Run a job of the shared queue, unless another process runs it (each attempt is an arq job)."""
        assert self.store is not None and self.shared is not None
        if not await self.store.take(job_id):
            return
        # What Redis holds is the newest state (a process that died may have done chunks since).
        saved = await self.store.load(job_id)
        if (job := self._adopt(saved) if saved else self.jobs.get(job_id)) is None:
            return
        # Twins (the same video, from two processes that died) run once: the second finds the summary.
        if (cached := await self.cache.get_summary(job.video_id, job.languages, _variant(job))) is not None:
            job.update_from(
                _job_from_summary(Job(job.video_id, job.languages, summarizer=job.summarizer), cached)
            )
        if job.finished:  # by an earlier attempt, or from the cache
            await self.store.save(job)
            with contextlib.suppress(OSError):
                await self.shared.release(job)
            return
        with contextlib.suppress(OSError):
            await self.shared.started(job)
        self.store.checkpoint(job)
        began = time.monotonic()
        await self._run(job)
        self.queue.record(time.monotonic() - began)  # for Retry-After

    async def _run(self, job: Job) -> None:
        self._running.add(job.id)
        job.mark_running()
        began = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.job_timeout):
                await self._summarize(job)
        except SummaryError as error:
            await self._fail(job, error)
        except TimeoutError:
            await self._fail(job, SummaryError("timeout"))
        except Exception:
            log.exception("job %s for video %s failed", job.id, job.video_id)
            await self._fail(job, SummaryError("internal_error"))
        finally:
            self._running.discard(job.id)
            self._mirrors.pop(job.id, None)
            if job.finished:  # not when shutdown cancelled it
                JOB_SECONDS.labels(job.status).observe(time.monotonic() - began)
                JOBS.labels(job.error.code if job.error else "done").inc()
                if self.shared is not None:
                    with contextlib.suppress(OSError):
                        await self.shared.release(job)

    async def _fail(self, job: Job, error: SummaryError) -> None:
        log.info("job %s for video %s failed: %s", job.id, job.video_id, error.code)
        job.fail(error)
        await self.cache.set_failure(job.video_id, job.languages, error)

    async def _summarize(self, job: Job) -> None:
        transcript = job.transcript or await self._transcript(job.video_id, job.languages)
        settings = self.settings
        if transcript.duration > settings.max_video_seconds:
            raise SummaryError(
                "too_long",
                f"This video is {transcript.duration / 3600:.1f} h long; this service summarizes videos "
                f"up to {settings.max_video_seconds / 3600:.1f} h.",
            )
        llm = None if job.summarizer == "extractive" else self.llm
        # LLM chunks are bounded by the token budget only (max_video_seconds: no time limit of their own).
        seconds, words = (
            (settings.max_video_seconds, llm.chunk_words)
            if llm
            else (settings.chunk_seconds, settings.chunk_max_words)
        )
        chunks = await self.runner.run(prepare, transcript, seconds, words)
        if not chunks:
            raise SummaryError("no_transcript", "The captions of this video are empty.")
        lang = transcript.language_code
        job.begin(len(chunks), lang, transcript.title)
        # Chunks are deterministic (same transcript and settings): a resumed job skips those already done.
        todo = chunks[len(job.chunks) :]
        if llm:
            tldr, tldr_source = await llm.summarize(job, todo, lang)
        else:
            for chunk in todo:
                chunk_began = time.monotonic()
                job.add_chunk(
                    await self.runner.run(
                        summarize_chunk, chunk, job.video_id, lang, settings.points_per_chunk
                    )
                )
                CHUNK_SECONDS.observe(time.monotonic() - chunk_began)
            tldr = await self.runner.run(make_tldr, job.points, lang, settings.tldr_sentences)
            tldr_source = "extractive"
        job.finish(tldr, tldr_source)
        if llm and any(c.source != "llm" for c in job.chunks):
            return  # a fallback is not kept: the next request asks the model again
        await self.cache.set_summary(job.video_id, job.languages, _summary_of(job), _variant(job))

    async def _transcript(self, video_id: str, languages: tuple[str, ...]) -> Transcript:
        if (cached := await self.cache.get_transcript(video_id, languages)) is not None:
            return cached
        # The YouTube client is synchronous (requests): a thread keeps the event loop free.
        self.youtube.check()
        try:
            transcript = await asyncio.to_thread(self.source.fetch, video_id, languages)
        except SummaryError as error:
            self.youtube.record(error)
            raise
        self.youtube.record(None)
        await self.cache.set_transcript(languages, transcript)
        return transcript


def _summary_of(job: Job) -> dict[str, Any]:
    return {
        "title": job.title,
        "language_code": job.language_code,
        "chunks": [chunk_to_dict(c) for c in job.chunks],
        "tldr": job.tldr,
        "tldr_source": job.tldr_source,
    }


def _job_from_summary(job: Job, summary: dict[str, Any]) -> Job:
    """`job` (new, not queued) filled in from a cached summary."""
    job.chunks = [chunk_from_dict(c) for c in summary["chunks"]]
    job.status, job.transcript, job.total = JobStatus.DONE, None, len(job.chunks)
    job.title, job.language_code, job.tldr = summary["title"], summary["language_code"], summary["tldr"]
    # Entries cached before `tldr_source` existed: taken as written by their summarizer.
    job.tldr_source = summary.get("tldr_source") or (
        "extractive" if job.summarizer == "extractive" else "llm"
    )
    return job


def _variant(job: Job) -> str:
    """What besides video and languages tells cached summaries apart: summarizer, model, language asked."""
    if job.summarizer == "extractive":
        return "extractive"
    return f"{job.summarizer}|{job.output_language or 'auto'}"


def _llm_summarizer(settings: Settings, runner: Runner) -> LLMSummarizer | None:
    """The LLM summarizer when `LLM_BASE_URL` and `LLM_MODEL` are set (no connection before a job)."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    client = ChatClient(
        settings.llm_base_url,
        settings.llm_model,
        settings.llm_api_key,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
    )
    return LLMSummarizer(
        client,
        runner,
        concurrency=settings.llm_concurrency,
        chunk_tokens=settings.llm_chunk_tokens,
        points_per_chunk=settings.points_per_chunk,
        chunk_seconds=settings.chunk_seconds,
        tldr_sentences=settings.tldr_sentences,
    )
