"""`POST /v1/ask`: the transcript passages that answer a question about a video (and a model's answer).

Its models and route cost 4-5 ms of CPU when `api.main` is imported (time.process_time around `import
api.ask` after its dependencies, best of 5): the whole feature adds about 11 ms to the web process's
start-up (summarizer/ask.py and retrieval.py ~5 ms, the chat handlers and rendering ~2 ms), ~0.1 s of
wall time at 0.1 CPU; BM25 itself (rank_bm25) is imported only in the CPU process.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.deps import EngineDep
from api.guard import GuardedRoute
from api.schemas import LanguageCode, error_doc
from api.summaries import json_response, requester_of
from summarizer.ask import MAX_QUESTION_CHARS, clean_question
from summarizer.links import parse_video_id


class AskRequest(BaseModel):
    url: str = Field(
        max_length=2048, description="A YouTube video link in any common form, or the 11-char id."
    )
    question: str = Field(
        min_length=1, max_length=MAX_QUESTION_CHARS, description="What to look for in the video."
    )
    languages: list[LanguageCode] | None = Field(
        default=None,
        max_length=10,
        description="Preferred transcript languages, best first; the service's defaults follow.",
    )


class PassageOut(BaseModel):
    text: str = Field(description="A few sentences of the captions (adjacent matches merged).")
    start: float = Field(description="When the passage starts, in seconds.")
    url: str = Field(description="A link to that moment of the video.")
    score: float = Field(description="Its BM25 score for the question (higher matches better).")


class AskOut(BaseModel):
    video_id: str
    question: str
    passages: list[PassageOut] = Field(description="3-5 passages, best first (fewer when fewer match).")
    answer: str | None = Field(
        description="With a language model configured: its answer from the passages, citing their times "
        "as (12:34); else null."
    )
    source: str = Field(description='"llm" when `answer` is the model\'s, else "extractive".')


router = APIRouter(
    prefix="/v1/ask",
    tags=["ask"],
    route_class=GuardedRoute,  # X-API-Key checked before the body is read
    responses={401: error_doc("`unauthorized`: `API_KEY` is set and `X-API-Key` is missing or wrong.")},
)


@router.post(
    "",
    response_model=AskOut,
    responses={
        200: {"model": AskOut, "description": "The passages (and the model's answer), or the cached answer."},
        400: error_doc("`invalid_request`: the body is not JSON."),
        422: error_doc(
            "`invalid_url`, `invalid_question` (blank), `invalid_request` (body does not match the schema: "
            f"no question, or one over {MAX_QUESTION_CHARS} characters); the video's captions cannot be "
            "read: `no_transcript`, `transcripts_disabled`, `video_unavailable`, `age_restricted`, "
            "`po_token_required`, `too_long`."
        ),
        429: error_doc("`rate_limited`: too many requests; see `Retry-After`."),
        503: error_doc(
            "`busy`: too many questions in flight or the server is overloaded; see `Retry-After`."
        ),
        502: error_doc(
            "`blocked`, `provider_unavailable`, `youtube_error`: the transcript could not be fetched."
        ),
        504: error_doc("`timeout`: the transcript took too long to fetch."),
    },
)
async def ask(body: AskRequest, request: Request, engine: EngineDep) -> Response:
    """Find the moments of a video that answer a question; the transcript is fetched as for a summary."""
    video_id = parse_video_id(body.url)
    question = clean_question(body.question)
    answer = await engine.asker.ask(
        video_id, question, engine.languages_for(body.languages), requester_of(request)
    )
    return json_response(answer.to_dict())
