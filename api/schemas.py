"""Request and response shapes of the REST API, for validation and the OpenAPI schema."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from core.formats import LANGUAGE_CODE

LanguageCode = Annotated[str, Field(pattern=f"^{LANGUAGE_CODE.pattern}$", examples=["en", "pt-BR"])]


class SnippetIn(BaseModel):
    text: str = Field(max_length=5000)
    start: float = Field(ge=0)
    duration: float = Field(ge=0)

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
    snippets: list[SnippetIn] = Field(min_length=1)


class SummaryRequest(BaseModel):
    url: str = Field(
        max_length=2048, description="A YouTube video link in any common form, or the 11-char id."
    )
    languages: list[LanguageCode] | None = Field(
        default=None,
        max_length=10,
        description="Preferred transcript languages, best first; the service's defaults follow.",
    )
    transcript: TranscriptIn | None = None
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
    url: str


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
    video_id: str
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
    language_code: str | None
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
