"""Request and response shapes of the REST API, for validation and the OpenAPI schema."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

LanguageCode = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", examples=["en", "pt-BR"])]


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


class PointOut(BaseModel):
    text: str
    start: float
    url: str


class ChunkOut(BaseModel):
    index: int
    start: float
    end: float
    points: list[PointOut]


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
    title: str | None
    language_code: str | None
    progress: ProgressOut
    chunks: list[ChunkOut]
    tldr: str | None
    error: ErrorDetail | None
    callbacks: list[CallbackOut]


def error_doc(description: str) -> dict[str, object]:
    """An OpenAPI `responses` entry for an error answered with `ErrorBody`."""
    return {"model": ErrorBody, "description": description}
