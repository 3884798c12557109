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
from api.summaries import job_or_404, json_response, requester_of
from summarizer.ask import MAX_QUESTION_CHARS, Subject, clean_question
from summarizer.errors import SummaryError
from summarizer.links import parse_video_id
from summarizer.subtitles import unlinked


class AskRequest(BaseModel):
    url: str | None = Field(
        default=None,
        max_length=2048,
        description="A YouTube video link in any common form, or the 11-char id: its captions are searched.",
    )
    job_id: str | None = Field(
        default=None,
        max_length=64,
        description="Instead of `url`: a summary job (`POST /v1/summaries`) whose transcript is searched, "
        "e.g. the `subtitles` or `transcript` it was made from.",
    )
    question: str = Field(
        min_length=1, max_length=MAX_QUESTION_CHARS, description="What to look for in the video."
    )
    languages: list[LanguageCode] | None = Field(
        default=None,
        max_length=10,
        description="With `url`: preferred transcript languages, best first; the service's defaults follow.",
    )


class PassageOut(BaseModel):
    text: str = Field(description="A few sentences of the captions (adjacent matches merged).")
    start: float = Field(description="When the passage starts, in seconds.")
    url: str | None = Field(description="A link to that moment of the video (null: subtitles without one).")
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
        404: error_doc(
            "`not_found`: no job with `job_id`, or the subtitles without a video it was made from are no "
            "longer kept (`TRANSCRIPT_TTL`)."
        ),
        422: error_doc(
            "`invalid_url`, `invalid_question` (blank), `invalid_request` (body does not match the schema: "
            f"no question, or one over {MAX_QUESTION_CHARS} characters; neither `url` nor `job_id`, or both; "
            "`languages` with `job_id`); the video's captions cannot be read: `no_transcript`, "
            "`transcripts_disabled`, `video_unavailable`, `age_restricted`, `po_token_required`, `too_long`."
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
    """Find the moments of a video (or of a summary's transcript) that answer a question; the video's
    transcript is fetched as for a summary."""
    if body.url is not None and body.job_id is None:
        subject = Subject(parse_video_id(body.url), engine.languages_for(body.languages))
    elif body.job_id is not None and body.url is None:
        if body.languages:
            raise SummaryError(
                "invalid_request", "With `job_id` the job's languages are used: leave out `languages`."
            )
        subject = Subject.of_job(await job_or_404(engine, body.job_id))
    else:
        raise SummaryError("invalid_request", "Send either `url` (a video) or `job_id` (a summary).")
    question = clean_question(body.question)
    answer = await engine.asker.ask(subject, question, requester_of(request))
    return json_response(unlinked(answer.to_dict()))  # subtitles without a video: no links
