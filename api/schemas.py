"""Request and response shapes of the REST API, for validation and the OpenAPI schema."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from core.formats import LANGUAGE_CODE, MAX_LANGUAGE_CODE_CHARS

LanguageCode = Annotated[
    str,
    Field(max_length=MAX_LANGUAGE_CODE_CHARS, pattern=f"^{LANGUAGE_CODE.pattern}$", examples=["en", "pt-BR"]),
]


# Moments past this are no video's (YouTube's longest are 12 h): 1e308 made a video "inf h long".
MAX_SECONDS = 1_000_000.0


class SnippetIn(BaseModel):
    text: str = Field(max_length=5000)
    start: float = Field(ge=0, le=MAX_SECONDS)
    duration: float = Field(ge=0, le=MAX_SECONDS)

    @field_validator("start", "duration")
    @classmethod
    def finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


class TranscriptIn(BaseModel):
    """Captions the client fetched itself (youtube-transcript-api's `to_raw_data()` shape)."""

    language_code: LanguageCode
    is_generated: bool = False
    title: str | None = Field(default=None, max_length=500)
    # fail_fast: 1M invalid snippets made 1M errors, 6.5 s of CPU (`benchmarks/bad_input.py`)
    snippets: list[SnippetIn] = Field(min_length=1, fail_fast=True)


class SummaryRequest(BaseModel):
    url: str | None = Field(
        default=None,
        max_length=2048,
        description="A YouTube video link in any common form, or the 11-char id. Required unless `subtitles` "
        "is given; with `subtitles`, the points link into this video.",
    )
    languages: list[LanguageCode] | None = Field(
        default=None,
        max_length=10,
        description="Preferred transcript languages, best first; the service's defaults follow.",
    )
    transcript: TranscriptIn | None = None
    subtitles: str | None = Field(
        default=None,
        description="The captions as the text of a subtitle file, instead of fetching them: SRT, WebVTT "
        "(YouTube's rolling auto-captions too) or lines with timestamps (`1:23 text`), at most "
        "SUBTITLES_MAX_BYTES (2 MiB) as UTF-8. Its language: WebVTT's `Language:` header, else `languages[0]`, "
        "else the service's first LANGUAGES. Without `url` the job's `video_id` is `file-<20 characters>` and "
        "its points' `url` are null. A file that cannot be read: 422 `invalid_subtitles`, saying why.",
        examples=["1\n00:00:01,000 --> 00:00:04,000\nIn the last chapter, you and I started to step\n"],
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where to POST the job when it finishes or fails (public https; signed with CALLBACK_SECRET).",
    )
    summarizer: Literal["extractive", "llm"] | None = Field(
        default=None,
        description='Who writes the key points: "extractive" (sentences of the captions) or "llm" (a chat model, '
        "when the service has one configured; in `languages[0]` when given). Default: the service's SUMMARIZER.",
    )


class PointOut(BaseModel):
    text: str
    start: float
    url: str | None = Field(
        description="A link to this moment of the video; null for subtitles sent without a video link."
    )


class ChunkOut(BaseModel):
    index: int
    start: float
    end: float
    title: str | None = Field(
        default=None, description='A short label of what this part is about, e.g. "attention · embeddings".'
    )
    points: list[PointOut]
    source: str = Field(
        default="extractive",
        description='"llm", or "extractive" (also for a chunk the model failed and the extractive summarizer took)',
    )


class ProgressOut(BaseModel):
    done: int
    total: int | None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class CallbackOut(BaseModel):
    url: str
    state: str = Field(description="pending | delivered | failed")
    attempts: int
    last_error: str | None


class JobOut(BaseModel):
    id: str
    video_id: str = Field(
        description="The YouTube video id, or `file-<20 characters>` for subtitles sent without a video link."
    )
    status: str = Field(description="queued | running | done | failed")
    title: str | None = Field(
        description="The video's title, when its transcript provider or oEmbed gave it."
    )
    channel: str | None = Field(default=None, description="The video's channel, likewise.")
    provider: str | None = Field(
        default=None,
        description='Which transcript provider served it: "youtube", "supadata", "folder"; null before.',
    )
    translated_from: str | None = Field(
        default=None,
        description="The captions' own language when YouTube translated them into the one asked for.",
    )
    language_code: str | None = Field(
        description="The captions' language, once known. For subtitles sent with a video link it carries a "
        "private-use subtag naming the file (`en-x-abcdefgh-ijklmnop`), which keeps that summary apart from "
        "the video's own."
    )
    progress: ProgressOut
    chunks: list[ChunkOut]
    partial: ChunkOut | None = Field(
        default=None, description="The next chunk's points so far, while a model is writing them."
    )
    summarizer: str = Field(default="extractive", description='"extractive" or "llm:<model>"')
    topics: list[str] = Field(
        default_factory=list, description="3-8 key phrases of the whole video (empty until it runs)."
    )
    tldr_points: list[PointOut] = Field(
        default_factory=list,
        description="The TL;DR as 2-5 separate points, each at its moment; the video's own statement of "
        "purpose first when it has one. Empty until done.",
    )
    tldr: str | None = Field(description="The TL;DR points' text joined; null until done.")
    tldr_source: str | None = Field(
        default=None,
        description='Who wrote the TL;DR: "llm", or "extractive" (also when the model failed it); null before it',
    )
    error: ErrorDetail | None
    callbacks: list[CallbackOut]


def error_doc(description: str) -> dict[str, object]:
    """An OpenAPI `responses` entry for an error answered with `ErrorBody`."""
    return {"model": ErrorBody, "description": description}
