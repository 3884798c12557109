"""The engine: takes summary requests, runs them through the queue, keeps and caches the results.

One job runs: transcript (cache → inline / folder / YouTube) → chunks → key points per chunk
(in the low-priority worker process) → TL;DR → cache. Listeners follow `Job.changes()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from summarizer.cache import Cache, memory_cache, redis_cache
from summarizer.chunking import prepare
from summarizer.circuit import CircuitBreaker
from summarizer.errors import SummaryError
from summarizer.extractive import make_tldr, summarize_chunk
from summarizer.jobs import Job, JobStatus, JobStore, chunk_from_dict, chunk_to_dict
from summarizer.models import Transcript
from summarizer.queue import JobQueue
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

    def __init__(self, settings: Settings, source: TranscriptSource, cache: Cache, runner: Runner) -> None:
        self.settings = settings
        self.source = source
        self.cache = cache
        self.runner = runner
        self.jobs = JobStore(settings.jobs_kept)
        self.youtube = CircuitBreaker(settings.youtube_breaker_failures, settings.youtube_breaker_cooldown)
        self.queue = JobQueue(
            self._run,
            maxsize=settings.queue_max,
            workers=settings.workers,
            max_per_requester=settings.max_jobs_per_requester,
        )

    @classmethod
    def from_settings(cls, settings: Settings, runner: Runner | None = None) -> Engine:
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
        return cls(settings, source, cache, runner or WorkerProcess(settings.summarizer_cpu_share))

    async def start(self) -> None:
        await self.cache.check()  # an unreachable Redis is logged and flagged now, not at the first request
        if isinstance(self.runner, WorkerProcess):
            self.runner.start()
        self.queue.start()

    async def stop(self) -> None:
        await self.queue.stop()
        if isinstance(self.runner, WorkerProcess):
            await self.runner.stop()
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
    ) -> tuple[Job, bool]:
        """Return `(job, finished_from_cache)`; queues new work or joins the same video in flight.

        Raises `SummaryError` `busy` / `rate_limited` when the work cannot be taken.
        """
        langs = (transcript.language_code,) if transcript else self.languages_for(languages)
        if (in_flight := self.queue.in_flight((video_id, langs))) is not None:
            return in_flight, False
        if (cached := await self.cache.get_summary(video_id, langs)) is not None:
            return self._remember(_job_from_summary(video_id, langs, requester, cached)), True
        if transcript is None and (failure := await self.cache.get_failure(video_id, langs)) is not None:
            job = Job(video_id, langs, requester, status=JobStatus.FAILED, error=failure)
            return self._remember(job), True
        job = self.queue.submit(Job(video_id, langs, requester, transcript))
        return self._remember(job), False

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def _remember(self, job: Job) -> Job:
        self.jobs.add(job)
        return job

    async def _run(self, job: Job) -> None:
        job.mark_running()
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
        chunks = await self.runner.run(prepare, transcript, settings.chunk_seconds, settings.chunk_max_words)
        if not chunks:
            raise SummaryError("no_transcript", "The captions of this video are empty.")
        lang = transcript.language_code
        job.begin(len(chunks), lang, transcript.title)
        for chunk in chunks:
            job.add_chunk(
                await self.runner.run(summarize_chunk, chunk, job.video_id, lang, settings.points_per_chunk)
            )
        job.finish(await self.runner.run(make_tldr, job.points, lang, settings.tldr_sentences))
        await self.cache.set_summary(job.video_id, job.languages, _summary_of(job))

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
    }


def _job_from_summary(
    video_id: str, languages: tuple[str, ...], requester: str, summary: dict[str, Any]
) -> Job:
    chunks = [chunk_from_dict(c) for c in summary["chunks"]]
    return Job(
        video_id,
        languages,
        requester,
        status=JobStatus.DONE,
        title=summary["title"],
        language_code=summary["language_code"],
        total=len(chunks),
        chunks=chunks,
        tldr=summary["tldr"],
    )
