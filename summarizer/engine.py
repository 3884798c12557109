"""The engine: takes summary requests, runs them through a jobs backend, keeps and caches the results.

One job runs: cached summary? → transcript (cache → inline / folder / YouTube) → chunks → key points per
chunk (in the CPU process, or by a chat model: summarizer/abstractive.py) → TL;DR → cache. Where jobs
wait, run and are found is the backend's business (summarizer/backends: this process, or Redis); where a
job is shown, the sinks' (summarizer/sinks.py). Listeners follow `Job.changes()`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from core.config import Settings
from core.tasks import BackgroundTasks
from core.telemetry import CHUNK_SECONDS, JOB_SECONDS, JOBS, JOBS_REFUSED
from summarizer.ask import Asker
from summarizer.backends.base import JobBackend, QueueState, Run, ShowIn
from summarizer.backends.local import LocalBackend
from summarizer.cache import Cache, memory_cache, redis_cache
from summarizer.chats import ChatState
from summarizer.cpu_process import CpuProcess, Runner
from summarizer.errors import SummaryError, check_duration
from summarizer.jobs import Job
from summarizer.llm import ChatClient
from summarizer.models import Transcript
from summarizer.rate_limit import RateLimiter
from summarizer.sinks import CallbackSink, Displays, Sink
from summarizer.subtitles import Limits, filename_hints, is_file_video, read_subtitles, spoken_language
from summarizer.transcripts.chain import ProviderChain

if TYPE_CHECKING:
    from summarizer.abstractive import LLMSummarizer

log = logging.getLogger(__name__)

BackendFactory = Callable[[Run, ShowIn], JobBackend]  # the engine hands its pipeline and displays over
Overloaded = Callable[[], str | None]  # why new work should be refused now (e.g. event-loop lag), or None
# How long a stop waits for the last edits of the jobs that ended: Render sends SIGKILL 40 s after SIGTERM
# (render.yaml maxShutdownDelaySeconds), uvicorn gives open connections 20 s of it before the app stops.
FINAL_EDIT_SECONDS = 10.0


class Engine:
    """Summary requests in, jobs out; see the module docstring for the path of a job.

    `backend` builds the jobs backend from the engine's `run` and `show`; `displays` shows jobs in sinks
    (none: this process shows nothing); `overloaded` may refuse new work while the process is overloaded.
    """

    def __init__(
        self,
        settings: Settings,
        transcripts: ProviderChain,
        cache: Cache,
        runner: Runner,
        backend: BackendFactory,
        displays: Displays | None = None,
        overloaded: Overloaded = lambda: None,
    ) -> None:
        self.settings = settings
        self.transcripts = transcripts
        self.cache = cache
        self.runner = runner
        self.jobs = backend(self._run, self._show)
        self.chats = ChatState(cache, settings.languages)
        self._displays = displays or Displays()
        self._overloaded = overloaded
        self._shown = BackgroundTasks()  # the tasks that show jobs in their sinks
        self._showing: dict[asyncio.Task[Any], Job] = {}  # each of those tasks' job
        self.rate_limiter = RateLimiter(settings.rate_limit, settings.redis_url)
        self.llm = _llm_summarizer(settings, runner)
        client = self.llm.client if self.llm else None
        self.asker = Asker(settings, cache, runner, self.rate_limiter, self._transcript, overloaded, client)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        runner: Runner | None = None,
        *,
        durable: bool = True,
        serves: bool = True,
        displays: Displays | None = None,
        overloaded: Overloaded = lambda: None,
        before_cpu_start: Callable[[], Awaitable[None]] | None = None,
    ) -> Engine:
        """The engine the settings describe. `durable=False` (the CLI): its jobs stay in this process even
        with Redis. `serves=False` (`python -m summarizer worker`): it only runs jobs, it shows none.
        `before_cpu_start` is awaited before the CPU process starts with a job (see `CpuProcess`)."""
        transcripts = ProviderChain.from_settings(settings)
        ttls = {
            "summary_ttl": settings.summary_ttl,
            "transcript_ttl": settings.transcript_ttl,
            "negative_ttl": settings.negative_ttl,
        }
        cache = (
            redis_cache(settings.redis_url, settings.cache_max_bytes, **ttls)
            if settings.redis_url
            else memory_cache(settings.cache_max_keys, settings.cache_max_bytes, **ttls)
        )
        backend: BackendFactory = partial(LocalBackend, settings)
        if settings.redis_url and durable:
            # Imported only with REDIS_URL: arq and the Redis backend's modules cost 29 ms of CPU on top of
            # `import api.main` (`benchmarks/imports.py summarizer.backends.redis`), ~0.3 s of wall time at
            # 0.1 CPU.
            from summarizer.backends.redis import RedisBackend

            backend = partial(RedisBackend, settings, cache=cache, serves=serves)
        runner = runner or CpuProcess(
            settings.summarizer_cpu_share, settings.cpu_process_idle_seconds, before_cpu_start
        )
        return cls(settings, transcripts, cache, runner, backend, displays, overloaded)

    async def start(self) -> None:
        """Start the backend (with Redis: take over what processes that are gone left, showing their
        sinks here, so the app registers its displays before)."""
        await self.cache.check()  # an unreachable Redis is logged and flagged now, not at the first request
        # The CPU process starts with the first job, not here: its imports (sumy) would share the cold
        # start's 0.1 CPU with the first ack (docs/benchmarks.md has the current cold start).
        await self.jobs.start()

    async def stop(self) -> None:
        """Stop taking and running work, then showing it. With Redis, unfinished jobs stay checkpointed for
        the next process, which shows them on; without, each one shown is ended as `interrupted` (its chat
        is told to send the link again). Every display whose job ended gets its last edit, within
        `FINAL_EDIT_SECONDS`, before the displays are cancelled."""
        await self.jobs.stop()
        if not self.jobs.resumes:
            for job in self._showing.values():
                if not job.finished:
                    job.fail(SummaryError("interrupted"))
        if ending := [task for task, job in self._showing.items() if job.finished]:
            await asyncio.wait(ending, timeout=FINAL_EDIT_SECONDS)
        await self._shown.close()
        await self.runner.stop()
        if self.llm is not None:
            await self.llm.client.close()
        await self.cache.close()

    async def queue_state(self) -> QueueState:
        """Jobs waiting (with Redis: for any worker of the shared queue too), jobs running in this process,
        and the bound on waiting jobs."""
        return await self.jobs.queue_state()

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

        `summarizer` ("extractive" or "llm") overrides `SUMMARIZER`. A `transcript` sent along (a subtitle
        file, a REST client's own) is cached under its digest for questions about the job
        (`summarizer.ask.Subject.of_job`) once the job is taken. Raises `SummaryError` `busy` /
        `rate_limited` when the work cannot be taken (nothing cached then), `invalid_request` for "llm"
        without a model.
        """
        kind, writing = self._summarizer_for(summarizer, languages)
        await self.rate_limiter.hit(requester)
        langs = (transcript.language_code,) if transcript else self.languages_for(languages)
        inline = transcript.digest() if transcript else None
        job = Job(
            video_id, langs, requester, transcript, summarizer=kind, output_language=writing, inline=inline
        )
        job, finished = await self._take(job)
        if transcript is not None:
            # Questions about this summary search the transcript it was made from (summarizer/ask.py), which
            # no provider could fetch again: kept apart from the video's, as long as a fetched one. Only
            # now: a refused request would fill the cache with transcripts no job was made from.
            await self.cache.set_transcript(langs, transcript, inline=inline)
        return job, finished

    async def _take(self, job: Job) -> tuple[Job, bool]:
        """`submit` for a new `job`: joined, served from the cache, or queued; else `SummaryError`."""
        if (in_flight := self.jobs.in_flight(job.key)) is not None:
            return in_flight, False
        if (cached := await self.cache.get_summary(job.video_id, job.languages, job.variant)) is not None:
            job.finish_from_summary(cached)
            return await self.jobs.keep(job), True
        failure = None if job.transcript else await self.cache.get_failure(job.video_id, job.languages)
        if failure is not None:
            job.fail(failure)
            return await self.jobs.keep(job), True
        if (reason := self._overloaded()) is not None:  # new work waits; cache hits above still flow
            JOBS_REFUSED.labels("busy").inc()
            raise SummaryError(
                "busy", f"The server is overloaded ({reason}); please try again in a minute.", retry_after=60
            )
        return await self.jobs.submit(job), False

    async def submit_file(
        self, data: bytes, name: str, requester: str, *, video_id: str | None, language: str | None
    ) -> tuple[Job, bool]:
        """A subtitle file a chat user sent, read and summarized: `submit`'s `(job, finished)`; the user's
        questions about its video search it (`Asker.remember`).

        Its points link into `video_id`, else the video its yt-dlp name names (`Title [<id>].en.vtt`), else
        nowhere. A YouTube video's title and channel come from oEmbed, as for a link; else (or when that
        lookup fails) the file's name is the title. `language` (the one the user asked for) is the captions'
        when the file does not say, and the summary's. Raises `SummaryError`: `invalid_subtitles` saying
        what is wrong with the file, or `busy` / `rate_limited`.
        """
        named_id, _, title = filename_hints(name)
        transcript = await read_subtitles(
            self.runner,
            data,
            Limits.from_settings(self.settings),
            video_id=video_id or named_id,
            language=language,
            default_language=(self.settings.languages or ["en"])[0],
            filename=name,
            title=title or name,
        )
        if not is_file_video(transcript.video_id):
            title, channel = await asyncio.to_thread(self.transcripts.details, transcript.video_id)
            if title is not None:
                transcript.title, transcript.channel = title, channel
        languages = [language or spoken_language(transcript.language_code)]
        job, finished = await self.submit(transcript.video_id, languages, requester, transcript)
        await self.asker.remember(requester, job)
        return job, finished

    async def get(self, job_id: str) -> Job | None:
        """A job of this process, or (with Redis) of any process, kept up to date while it runs."""
        return await self.jobs.get(job_id)

    async def report(self, job: Job, sink: Sink) -> None:
        """Show `job` in `sink` from now on (with Redis, a web process takes over if this one dies)."""
        if isinstance(sink, CallbackSink):
            job.delivery(sink.url)  # listed at once: the job resource answering the request shows it pending
        await self.jobs.add_sink(job, sink)
        self._show(job, sink)

    def _show(self, job: Job, sink: Sink) -> None:
        """Start showing `job` in `sink` (a task that follows the job to its end)."""
        if not self._displays.can_show(sink):
            log.warning("job %s: cannot show it in its %s sink, not configured here", job.id, sink.kind)
            return
        task = self._shown.spawn(self._display(job, sink), f"{sink.kind}-{job.id}")
        self._showing[task] = job
        task.add_done_callback(self._showing.pop)

    async def _display(self, job: Job, sink: Sink) -> None:
        if isinstance(sink, CallbackSink):
            # How a callback went is part of the job resource: saved before and after, for every process.
            await self.jobs.save_callbacks(job)
            await self._displays.show(job, sink)
            await self.jobs.save_callbacks(job)
        else:
            await self._displays.show(job, sink)

    def _summarizer_for(
        self, requested: str | None, languages: Sequence[str] | None
    ) -> tuple[str, str | None]:
        """The job's summarizer name and the language the reader asked for (None: the transcript's)."""
        asked = languages[0] if languages else None
        if (requested or self.settings.summarizer) == "extractive":
            return "extractive", asked
        if self.llm is None:
            raise SummaryError(
                "invalid_request",
                "LLM summaries are not configured on this service (LLM_BASE_URL, LLM_MODEL); "
                'leave "summarizer" out or ask for "extractive".',
            )
        return self.llm.name, asked

    async def _run(self, job: Job) -> None:
        """Run `job` to its end (the backend calls this): a failure ends it `failed`, with a stable code,
        unless the backend hands the job to a process that may succeed (the residential lane)."""
        job.mark_running()
        began = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.job_timeout):
                await self._summarize(job)
        except SummaryError as error:
            if not await self.jobs.hand_off(job, error):
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
        if job.inline is None:  # how a client's own captions failed says nothing about the video's
            await self.cache.set_failure(job.video_id, job.languages, error)

    async def _summarize(self, job: Job) -> None:
        transcript = job.transcript or await self._transcript(
            job.video_id, job.languages, job.output_language
        )
        settings = self.settings
        check_duration(transcript.duration, settings.max_video_seconds)
        llm = None if job.summarizer == "extractive" else self.llm
        # LLM chunks are bounded by the token budget only (max_video_seconds: no time limit of their own).
        seconds, words = (
            (settings.max_video_seconds, llm.chunk_words)
            if llm
            else (settings.chunk_seconds, settings.chunk_max_words)
        )
        # Imported by the first job, not at start-up: the outline's and the extractive summary's modules
        # cost 3.5-4.6 ms of CPU after `import api.main` (`benchmarks/imports.py summarizer.outline`; 14-15
        # ms while they compiled their regexes at import), ~40 ms of the cold start at 0.1 CPU; the service
        # imports them while idle after start-up (api/warmup.py).
        from summarizer.extractive import make_tldr, summarize_chunk
        from summarizer.outline import outline

        plan = await self.runner.run(outline, transcript, seconds, words)
        if not plan.chunks:
            raise SummaryError("no_transcript", "The captions of this video are empty.")
        lang = transcript.language_code
        job.begin(
            len(plan.chunks),
            lang,
            transcript.title,
            plan.topics,
            channel=transcript.channel,
            provider=transcript.provider or "request",  # a REST client's inline transcript
            translated_from=transcript.translated_from,
        )
        # Chunks are deterministic (same transcript and settings): a resumed job skips those already done.
        todo = plan.chunks[len(job.chunks) :]
        # TLDR_SENTENCES items for a video under an hour, one more for each further hour, at most 5.
        items = max(2, min(5, settings.tldr_sentences + int(transcript.duration // 3600)))
        if llm:
            tldr, tldr_source = await llm.summarize(job, todo, lang, plan, items)
        else:
            for chunk in todo:
                chunk_began = time.monotonic()
                summary = await self.runner.run(
                    summarize_chunk,
                    chunk,
                    job.video_id,
                    lang,
                    settings.points_per_chunk,
                    plan.ads,
                    plan.titles[chunk.index],
                )
                job.add_chunk(summary)
                CHUNK_SECONDS.observe(time.monotonic() - chunk_began)
            tldr = await self.runner.run(make_tldr, job.points, lang, items, plan.purpose)
            tldr_source = "extractive"
        job.finish(tldr, tldr_source)
        if llm and any(c.source != "llm" for c in job.chunks):
            return  # a fallback is not kept: the next request asks the model again
        await self.cache.set_summary(job.video_id, job.languages, job.summary(), job.variant)

    async def _transcript(
        self, video_id: str, languages: tuple[str, ...], translate_to: str | None
    ) -> Transcript:
        if (cached := await self.cache.get_transcript(video_id, languages, translate_to)) is not None:
            return cached
        # The providers are synchronous (requests): a thread keeps the event loop free.
        transcript = await asyncio.to_thread(self.transcripts.fetch, video_id, languages, translate_to)
        await self.cache.set_transcript(languages, transcript, translate_to)
        return transcript


def _llm_summarizer(settings: Settings, runner: Runner) -> LLMSummarizer | None:
    """The LLM summarizer when `LLM_BASE_URL` and `LLM_MODEL` are set (no connection before a job)."""
    if not (settings.llm_base_url and settings.llm_model):
        return None
    from summarizer.abstractive import LLMSummarizer  # with its outline types: only with a model

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
    )
