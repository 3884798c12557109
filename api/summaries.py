"""`/v1/summaries`: submit a video, read the job, follow it as server-sent events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from api.deps import EngineDep, ServicesDep, SettingsDep
from api.guard import GuardedRoute
from api.schemas import JobOut, SummaryRequest, TranscriptIn, error_doc
from bot.callbacks import check_url
from core.config import Settings
from core.tasks import until_set
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus, chunk_to_dict
from summarizer.links import parse_video_id
from summarizer.models import ChunkSummary, Snippet, Transcript
from summarizer.sinks import CallbackSink
from summarizer.subtitles import (
    Limits,
    is_file_video,
    job_resource,
    read_subtitles,
    spoken_language,
    unlinked,
)

SSE_HEARTBEAT_SECONDS = 15.0


class SummariesRoute(GuardedRoute):
    """`/v1/*` needs `X-API-Key` when `API_KEY` is set; an inline transcript is counted before validation."""

    def bound(self, data: Any, settings: Settings) -> None:
        transcript = data.get("transcript") if isinstance(data, dict) else None
        snippets = transcript.get("snippets") if isinstance(transcript, dict) else None
        if isinstance(snippets, list) and len(snippets) > settings.max_transcript_snippets:
            raise too_large(settings)


router = APIRouter(
    prefix="/v1/summaries",
    tags=["summaries"],
    route_class=SummariesRoute,
    responses={401: error_doc("`unauthorized`: `API_KEY` is set and `X-API-Key` is missing or wrong.")},
)


def json_response(data: object, status: int = 200) -> Response:
    # The job dict goes to bytes with orjson directly: no second validation through the response model.
    return Response(orjson.dumps(data), status, media_type="application/json")


def requester_of(request: Request) -> str:
    """Who a job counts against for the per-requester cap: the client address.

    Behind Render's proxy this is the real client when uvicorn trusts `X-Forwarded-For`.
    """
    return "ip:" + (request.client.host if request.client else "-")


def too_large(settings: Settings) -> SummaryError:
    return SummaryError(
        "transcript_too_large",
        f"Transcripts are limited to {settings.max_transcript_snippets} snippets and "
        f"{settings.max_transcript_chars} characters of text.",
    )


def transcript_of(video_id: str, body: TranscriptIn, settings: Settings) -> Transcript:
    text_chars = sum(len(s.text) for s in body.snippets)
    if len(body.snippets) > settings.max_transcript_snippets or text_chars > settings.max_transcript_chars:
        raise too_large(settings)
    snippets = [Snippet(s.text, s.start, s.duration) for s in body.snippets]
    return Transcript(video_id, body.language_code, body.is_generated, snippets, body.title)


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    responses={
        200: {"model": JobOut, "description": "Already summarized (or known to fail): the finished job."},
        202: {"model": JobOut, "description": "Queued, or joined the same video already in flight."},
        400: error_doc("`invalid_request`: the body is not JSON."),
        413: error_doc("`payload_too_large` / `transcript_too_large`."),
        422: error_doc(
            "`invalid_url`, `invalid_callback_url` (not https, or an internal address), "
            "`invalid_request` (body does not match the schema, neither `url` nor `subtitles`, `transcript` "
            'and `subtitles` together, or `"summarizer": "llm"` without a model), `invalid_subtitles` (the '
            "message says what is wrong: size, encoding, no cues, too many, longer than MAX_VIDEO_SECONDS)."
        ),
        429: error_doc("`rate_limited`: too many of your jobs in flight; see `Retry-After`."),
        503: error_doc("`busy`: the queue is full, or subtitle files are being read; see `Retry-After`."),
    },
)
async def create_summary(
    body: SummaryRequest,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    """Summarize a YouTube video (or the subtitles sent): answers at once; the summary fills in as chunks
    finish."""
    if body.subtitles is not None and body.transcript is not None:
        raise SummaryError("invalid_request", "Send either `transcript` or `subtitles`, not both.")
    video_id = parse_video_id(body.url) if body.url is not None else None
    if body.callback_url:
        check_url(body.callback_url, settings.callback_allow_hosts, settings.callback_allow_http)
    languages = body.languages
    transcript: Transcript | None = None
    if body.subtitles is not None:
        transcript = await read_subtitles(
            engine.runner,
            body.subtitles,
            Limits.from_settings(settings),
            video_id=video_id,
            language=languages[0] if languages else None,
            default_language=(settings.languages or ["en"])[0],
        )
        # The job's id (`file-…` without a url) and the language an LLM writes in, unless one was asked.
        video_id, languages = transcript.video_id, languages or [spoken_language(transcript.language_code)]
    elif video_id is None:
        raise SummaryError("invalid_request", "url: Field required (or send `subtitles` without it)")
    elif body.transcript:
        transcript = transcript_of(video_id, body.transcript, settings)
    job, finished = await engine.submit(
        video_id, languages, requester_of(request), transcript, body.summarizer
    )
    if body.callback_url:
        await engine.report(job, CallbackSink(body.callback_url))
    return json_response(job_resource(job), 200 if finished else 202)


async def job_or_404(engine: Engine, job_id: str) -> Job:
    if (job := await engine.get(job_id)) is None:
        raise SummaryError("not_found", f"No summary job with id {job_id!r}.")
    return job


@router.get(
    "/{job_id}",
    response_model=JobOut,
    responses={404: error_doc("`not_found`: unknown (or long forgotten) job id.")},
)
async def read_summary(job_id: str, engine: EngineDep) -> Response:
    """The job: status, progress, the chunks finished so far, the TL;DR once done."""
    return json_response(job_resource(await job_or_404(engine, job_id)))


def _event(name: str, data: object) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def job_events(
    job: Job,
    stopping: asyncio.Event,
    resource: Callable[[Job], dict[str, Any]] = job_resource,
) -> AsyncIterator[bytes]:
    """`chunk` per finished chunk (all earlier ones first for a late listener), `partial` whenever the
    points of the chunk a model is writing change, then `done`/`failed` with `resource(job)`; or the end of
    the stream when the server begins to stop (the job goes on: read it again)."""
    sent = 0
    partial: ChunkSummary | None = None
    file = is_file_video(job.video_id)
    async for current in until_set(job.changes(heartbeat=SSE_HEARTBEAT_SECONDS), stopping):
        if current is None:
            yield b": keep-alive\n\n"
            continue
        for chunk in current.chunks[sent:]:
            yield _event("chunk", _chunk(chunk, file))
        sent = len(current.chunks)
        if current.partial is not None and current.partial is not partial:
            partial = current.partial
            yield _event("partial", _chunk(partial, file))
        if current.finished:
            yield _event("done" if current.status is JobStatus.DONE else "failed", resource(current))


def _chunk(chunk: ChunkSummary, file: bool) -> dict[str, object]:
    data = chunk_to_dict(chunk)
    return unlinked(data) if file else data


@router.get(
    "/{job_id}/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`event: chunk` (data: a chunk) per finished chunk; with an LLM summarizer, "
            "`event: partial` (data: the chunk being written, its points so far) as they grow; then "
            "`event: done` or `event: failed` (data: the job).",
        },
        404: error_doc("`not_found`: unknown job id."),
    },
)
async def summary_events(job_id: str, services: ServicesDep) -> Response:
    """Follow a job as server-sent events."""
    return event_stream(await job_or_404(services.engine, job_id), services.stopping)


def event_stream(
    job: Job, stopping: asyncio.Event, resource: Callable[[Job], dict[str, Any]] = job_resource
) -> StreamingResponse:
    """The response that follows `job` as server-sent events (`job_events`), unbuffered by proxies."""
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    events = job_events(job, stopping, resource)
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)
