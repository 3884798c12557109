"""The engine: takes summary requests, runs them through the queue, keeps and caches the results.

One job runs: transcript (cache → inline / folder / YouTube) → chunks → key points per chunk
(in the low-priority worker process, or by a chat model: summarizer/abstractive.py) → TL;DR → cache.
Listeners follow `Job.changes()`.
"""

from __future__ import annotations

import asyncio
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
from summarizer.job_store import RedisJobStore
from summarizer.jobs import Job, JobStatus, JobStore, chunk_from_dict, chunk_to_dict
from summarizer.llm import ChatClient
from summarizer.models import Transcript
from summarizer.queue import JobQueue
from summarizer.rate_limit import RateLimiter
from summarizer.telemetry import CHUNK_SECONDS, JOB_SECONDS, JOBS, JOBS_REFUSED
from summarizer.transcripts import FolderSource, TranscriptSource, YouTubeSource
from summarizer.worker_process import WorkerProcess

if TYPE_CHECKING:
    from api.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


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
    ) -> None:
        """`durable=False` (the CLI): its jobs are neither kept in Redis nor does it resume others'."""
        self.settings = settings
        self.source = source
        self.cache = cache
        self.runner = runner
        self.jobs = JobStore(settings.jobs_kept)
        # With Redis, every job is checkpointed there: found by any process, resumed after a restart.
        self.store = (
            RedisJobStore(settings.redis_url, settings.job_state_ttl, settings.job_lease_seconds)
            if settings.redis_url and durable
            else None
        )
        self.resumed: list[Job] = []  # jobs an earlier process left unfinished, run again by this one
        # Why new work should be refused now (e.g. event-loop lag), or None; the app sets it.
        self.overloaded: Callable[[], str | None] = lambda: None
        self.rate_limiter = RateLimiter(settings.rate_limit, settings.redis_url)
        self.youtube = CircuitBreaker(settings.youtube_breaker_failures, settings.youtube_breaker_cooldown)
        self.queue = JobQueue(
            self._run,
            maxsize=settings.queue_max,
            workers=settings.workers,
            max_per_requester=settings.max_jobs_per_requester,
        )
        self.llm = _llm_summarizer(settings, runner)

    @classmethod
    def from_settings(cls, settings: Settings, runner: Runner | None = None, durable: bool = True) -> Engine:
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
        )

    async def start(self) -> None:
        await self.cache.check()  # an unreachable Redis is logged and flagged now, not at the first request
        # The summarizer process starts with the first job, not with the service: started at once, its
        # imports (sumy, ~0.33 CPU-s) shared the cold start's 0.1 CPU with the first ack. First Telegram
        # ack after start: 6.44 -> 4.8 s wall, 0.654 -> 0.488 CPU-s (median, docs/benchmarks.md); the first
        # job pays instead (2.9 -> 4.3 s). It ends after WORKER_IDLE_SECONDS without work: RSS of the service
        # 66 MiB idle after start, 149 MiB with the child, 80 MiB once it ended (/proc VmRSS, no cgroup).
        if self.store is not None:
            self.resumed = [self._resume(job) for job in await self.store.claim_orphans()]
            self.store.start()
        self.queue.start()

    def _resume(self, job: Job) -> Job:
        """Queue an unfinished job of an earlier process again (it skips the chunks already done)."""
        log.info("resuming job %s for video %s at chunk %d", job.id, job.video_id, len(job.chunks))
        try:
            if self.queue.submit(job) is not job:  # two dead processes ran the same video: one is enough
                job.fail(SummaryError("busy", "This video was being summarized twice; please ask again."))
        except SummaryError as error:
            job.fail(error)
        return self._remember(job)

    async def stop(self) -> None:
        """Stop taking and running work; with Redis, unfinished jobs stay checkpointed for the next process."""
        await self.queue.stop()
        if self.store is not None:
            await self.store.close()
        if isinstance(self.runner, WorkerProcess):
            await self.runner.stop()
        if self.llm is not None:
            await self.llm.client.close()
        await self.cache.close()

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
            return self._remember(_job_from_summary(job, cached)), True
        if transcript is None and (failure := await self.cache.get_failure(video_id, langs)) is not None:
            job.fail(failure)
            return self._remember(job), True
        if (reason := self.overloaded()) is not None:  # new work waits; cache hits above still flow
            JOBS_REFUSED.labels("busy").inc()
            raise SummaryError(
                "busy", f"The server is overloaded ({reason}); please try again in a minute.", retry_after=60
            )
        job = self.queue.submit(job)
        return self._remember(job), False

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

    async def get(self, job_id: str) -> Job | None:
        """A job of this process, or (with Redis) as another process or an earlier one last saved it."""
        if (job := self.jobs.get(job_id)) is None and self.store is not None:
            job = await self.store.load(job_id)
        return job

    def _remember(self, job: Job) -> Job:
        self.jobs.add(job)
        if self.store is not None:
            self.store.track(job)
        return job

    async def _run(self, job: Job) -> None:
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
            if job.finished:  # not when shutdown cancelled it
                JOB_SECONDS.labels(job.status).observe(time.monotonic() - began)
                JOBS.labels(job.error.code if job.error else "done").inc()

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
