"""A summary job: its state, its partial results, and how listeners learn that it changed."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from summarizer.errors import SummaryError
from summarizer.models import ChunkSummary, Point, Transcript


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# video id, languages, summarizer ("extractive" or "llm:<model>"), the language asked to write in
JobKey = tuple[str, tuple[str, ...], str, str | None, str | None]


@dataclass(slots=True)
class Delivery:
    """A REST callback of a job: where the finished job is POSTed and how that went."""

    url: str
    state: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    last_error: str | None = None


@dataclass(eq=False)
class Job:
    """One request to summarize a video, from `queued` to `done` or `failed`.

    Every change bumps `version` and wakes whoever waits in `changes()`; the job keeps all
    finished chunks, so a listener that comes late still sees everything from the start.
    """

    video_id: str
    languages: tuple[str, ...]
    requester: str = ""
    transcript: Transcript | None = field(default=None, repr=False)  # supplied inline by a REST client
    # The digest of that inline transcript (None: the service fetches the captions). Its summary is kept
    # apart: a client's own captions and title never reach someone who asked for the video (issue 17).
    inline: str | None = None
    id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    status: JobStatus = JobStatus.QUEUED
    title: str | None = None
    channel: str | None = None  # the video's channel, when the transcript's provider (or oEmbed) said
    provider: str | None = None  # which transcript provider served it (youtube, supadata, folder)
    translated_from: str | None = None  # the captions' own language when YouTube translated them
    language_code: str | None = None
    total: int | None = None
    chunks: list[ChunkSummary] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # key phrases of the whole video
    tldr_points: list[Point] = field(default_factory=list)  # the TL;DR as separate points, each at its moment
    tldr: str | None = None  # the TL;DR points' text joined (the contract's original field)
    tldr_source: str | None = None  # who wrote the TL;DR: "llm" or "extractive" (also an LLM job's fallback)
    error: SummaryError | None = None
    callbacks: list[Delivery] = field(default_factory=list)
    summarizer: str = "extractive"  # or "llm:<model>"
    # The language the reader asked for (None: the transcript's): the LLM writes in it, YouTube translates
    # captions into it when the video has no track in it.
    output_language: str | None = None
    partial: ChunkSummary | None = None  # the next chunk's points while the model writes them
    created_at: float = field(default_factory=time.time)
    version: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def key(self) -> JobKey:
        """Jobs with the same key produce the same summary (single-flight joins them)."""
        return (self.video_id, self.languages, self.summarizer, self.output_language, self.inline)

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def variant(self) -> str:
        """What besides video and languages tells cached summaries apart: summarizer, model, language asked,
        inline transcript."""
        if self.summarizer == "extractive":  # (keys of summaries cached before languages were asked stay)
            variant = "extractive" if self.output_language is None else f"extractive|{self.output_language}"
        else:
            variant = f"{self.summarizer}|{self.output_language or 'auto'}"
        return variant if self.inline is None else f"{variant}|inline:{self.inline}"

    @property
    def points(self) -> list[Point]:
        return [point for chunk in self.chunks for point in chunk.points]

    def begin(
        self,
        total: int,
        language_code: str,
        title: str | None,
        topics: Sequence[str] = (),
        *,
        channel: str | None = None,
        provider: str | None = None,
        translated_from: str | None = None,
    ) -> None:
        """Running, with `total` chunks to summarize; `topics` are the video's key phrases; the rest says
        where the transcript came from."""
        self.status, self.total, self.language_code, self.title = (
            JobStatus.RUNNING,
            total,
            language_code,
            title,
        )
        self.topics = list(topics)
        self.channel, self.provider, self.translated_from = channel, provider, translated_from
        self._notify()

    def mark_running(self) -> None:
        self.status = JobStatus.RUNNING
        self._notify()

    def add_chunk(self, chunk: ChunkSummary) -> None:
        self.chunks.append(chunk)
        self.partial = None
        self._notify()

    def set_partial(self, chunk: ChunkSummary) -> None:
        """Show the points of the chunk being written (the next one to be added) so far."""
        self.partial = chunk
        self._notify()

    def finish(self, tldr_points: list[Point], source: str = "extractive") -> None:
        self.status, self.tldr_source, self.transcript = JobStatus.DONE, source, None
        self.tldr_points, self.tldr = tldr_points, joined(tldr_points)
        self._notify()

    def delivery(self, url: str) -> Delivery:
        """The REST callback of this job to `url`, listed (pending) on first ask."""
        found = next((d for d in self.callbacks if d.url == url), None)
        if found is None:
            self.callbacks.append(found := Delivery(url))
        return found

    def fail(self, error: SummaryError) -> None:
        self.status, self.error, self.transcript, self.partial = JobStatus.FAILED, error, None, None
        self._notify()

    def summary(self) -> dict[str, Any]:
        """The finished job's summary as the cache keeps it (shared by every job with the same key)."""
        return {
            "title": self.title,
            "channel": self.channel,
            "provider": self.provider,
            "translated_from": self.translated_from,
            "language_code": self.language_code,
            "chunks": [chunk_to_dict(c) for c in self.chunks],
            "topics": self.topics,
            "tldr_points": [point_to_dict(p) for p in self.tldr_points],
            "tldr": self.tldr,
            "tldr_source": self.tldr_source,
        }

    def finish_from_summary(self, summary: dict[str, Any]) -> None:
        """Done, from a cached `summary()` of a job with the same key: nothing left to run."""
        self.chunks = [chunk_from_dict(c) for c in summary["chunks"]]
        self.status, self.transcript, self.total = JobStatus.DONE, None, len(self.chunks)
        self.title, self.language_code, self.tldr = (
            summary["title"],
            summary["language_code"],
            summary["tldr"],
        )
        self.topics = list(summary.get("topics", []))
        self.channel, self.provider = summary.get("channel"), summary.get("provider")
        self.translated_from = summary.get("translated_from")
        self.tldr_points = [point_from_dict(p) for p in summary.get("tldr_points", [])]
        # Entries cached before `tldr_source` existed: taken as written by their summarizer.
        self.tldr_source = summary.get("tldr_source") or (
            "extractive" if self.summarizer == "extractive" else "llm"
        )
        self.partial = None
        self._notify()

    def update_from(self, saved: Job) -> None:
        """Take the progress of `saved`, the same job as its runner (maybe another process) last saved it.

        A state behind this one (fewer chunks, or unfinished while this one is finished) is ignored: a read
        of Redis that began before the job's last checkpoint can end after it.
        """
        if (self.finished and not saved.finished) or len(saved.chunks) < len(self.chunks):
            return
        self.status, self.title, self.language_code = saved.status, saved.title, saved.language_code
        self.total, self.chunks, self.tldr = saved.total, saved.chunks, saved.tldr
        self.topics, self.tldr_points = saved.topics, saved.tldr_points
        self.channel, self.provider, self.translated_from = (
            saved.channel,
            saved.provider,
            saved.translated_from,
        )
        self.tldr_source, self.error = saved.tldr_source, saved.error
        self.transcript = saved.transcript or (None if self.finished else self.transcript)
        self._notify()

    def _notify(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def changes(self, heartbeat: float | None = None) -> AsyncIterator[Job | None]:
        """Yield the job now and after every change until it is finished.

        With `heartbeat`, yield `None` when nothing changed for that many seconds (for keep-alives).
        """
        seen = -1
        while True:
            if self.version == seen:
                try:
                    await asyncio.wait_for(self._changed.wait(), heartbeat)
                except TimeoutError:
                    yield None
                continue
            # The listener may await while it handles the job, and the job may change meanwhile:
            # `finished` belongs to the version handed out, and the loop checks the version again.
            seen, finished = self.version, self.finished
            yield self
            if finished:
                return

    def to_dict(self) -> dict[str, Any]:
        """The contract's job resource."""
        return {
            "id": self.id,
            "video_id": self.video_id,
            "status": self.status.value,
            "title": self.title,
            "channel": self.channel,
            "provider": self.provider,
            "translated_from": self.translated_from,
            "language_code": self.language_code,
            "progress": {"done": len(self.chunks), "total": self.total},
            "chunks": [chunk_to_dict(c) for c in self.chunks],
            "partial": chunk_to_dict(self.partial) if self.partial else None,
            "summarizer": self.summarizer,
            "topics": self.topics,
            "tldr_points": [point_to_dict(p) for p in self.tldr_points],
            "tldr": self.tldr,
            "tldr_source": self.tldr_source,
            "error": self.error.to_dict() if self.error else None,
            "callbacks": [
                {"url": d.url, "state": d.state, "attempts": d.attempts, "last_error": d.last_error}
                for d in self.callbacks
            ],
        }


def joined(points: list[Point]) -> str:
    """The TL;DR points as one paragraph (the job's `tldr`)."""
    return " ".join(p.text for p in points)


def point_to_dict(point: Point) -> dict[str, Any]:
    return {"text": point.text, "start": point.start, "url": point.url}


def point_from_dict(data: dict[str, Any]) -> Point:
    return Point(data["text"], data["start"], data["url"])


def chunk_to_dict(chunk: ChunkSummary) -> dict[str, Any]:
    return {
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "title": chunk.title,
        "points": [point_to_dict(p) for p in chunk.points],
        "source": chunk.source,
    }


def chunk_from_dict(data: dict[str, Any]) -> ChunkSummary:
    return ChunkSummary(
        index=data["index"],
        start=data["start"],
        end=data["end"],
        points=[point_from_dict(p) for p in data["points"]],
        source=data.get("source", "extractive"),  # summaries cached before LLM summaries existed
        title=data.get("title"),  # states saved before chunk titles existed
    )
