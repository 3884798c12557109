"""`POST /v1/ask` end to end: the real app under uvicorn over the recorded transcripts, the real CPU process
in one test, the local OpenAI-compatible stand-in for the model's answers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.main import create_app
from core.formats import clock
from core.telemetry import REGISTRY
from summarizer import retrieval
from summarizer.ask import MAX_QUESTION_CHARS
from summarizer.cpu_process import CpuProcess, InlineRunner, Runner
from summarizer.retrieval import search
from tests.support import subtitle_files as files
from tests.support.data import GERMAN, LONG, MEDIUM, SHORT, UNCAPTIONED, transcript_fetches
from tests.support.fake_llm import BROKEN, MALFORMED, FakeLLM
from tests.support.rest import settings
from tests.support.runners import CrashingRunner, RecordingRunner
from tests.support.servers import serve

PARAMETERS = "How many parameters does each block of multi-headed attention have?"


@pytest.fixture(autouse=True)
def no_indexes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts without indexes in this process (the inline runner keeps them here)."""
    monkeypatch.setattr(retrieval, "_INDEXES", OrderedDict())
    yield


@asynccontextmanager
async def service(runner: Runner | None = None, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serve(create_app(settings(**overrides), runner or InlineRunner())) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        yield client


async def test_passages_answer_with_their_moments() -> None:
    async with service() as client:
        response = await client.post(
            "/v1/ask", json={"url": f"https://www.youtube.com/watch?v={MEDIUM}&t=3", "question": PARAMETERS}
        )
    assert response.status_code == 200
    body = response.json()
    assert body["video_id"] == MEDIUM and body["question"] == PARAMETERS
    assert (body["answer"], body["source"]) == (None, "extractive")
    assert 3 <= len(body["passages"]) <= 5
    assert "600 million parameters" in body["passages"][0]["text"]  # said at 22:03
    for passage in body["passages"]:
        assert passage["url"] == f"https://youtu.be/{MEDIUM}?t={int(passage['start'])}"
        assert passage["score"] > 0
    assert [p["score"] for p in body["passages"]] == sorted(
        (p["score"] for p in body["passages"]), reverse=True
    )


async def test_german_captions_by_language() -> None:
    async with service() as client:
        body = (
            await client.post(
                "/v1/ask",
                json={
                    "url": GERMAN,
                    "question": "Wie viele Arme gibt es in Deutschland?",
                    "languages": ["de"],
                },
            )
        ).json()
    assert any("13 Millionen in Deutschland" in p["text"] for p in body["passages"][:3])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": MEDIUM}, "invalid_request"),  # no question
        ({"url": MEDIUM, "question": ""}, "invalid_request"),
        ({"url": MEDIUM, "question": "   \n "}, "invalid_question"),
        ({"url": MEDIUM, "question": "x" * (MAX_QUESTION_CHARS + 1)}, "invalid_request"),
        ({"url": "https://example.com/watch?v=nothing", "question": "why?"}, "invalid_url"),
        ({"question": "why?"}, "invalid_request"),
        ({"url": MEDIUM, "job_id": "x", "question": "why?"}, "invalid_request"),  # one or the other
        ({"job_id": "x", "question": "why?", "languages": ["de"]}, "invalid_request"),  # the job's are used
    ],
)
async def test_bad_questions_get_422_with_the_error_body(body: dict[str, Any], code: str) -> None:
    async with service() as client:
        response = await client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


async def test_a_video_without_captions() -> None:
    async with service() as client:
        response = await client.post("/v1/ask", json={"url": "AAAAAAAAAAA", "question": "anything?"})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "no_transcript")


def asks(outcome: str) -> float:
    return REGISTRY.get_sample_value("ytsum_asks_total", {"outcome": outcome}) or 0.0


async def test_the_index_is_built_once_per_video_and_answers_are_cached() -> None:
    runner = RecordingRunner()
    before = {outcome: asks(outcome) for outcome in ("cold", "warm", "cached")}
    async with service(runner) as client:
        first = await client.post("/v1/ask", json={"url": LONG, "question": "Is he a night owl?"})
        second = await client.post(
            "/v1/ask", json={"url": LONG, "question": "What about Whisper transcripts?"}
        )
        again = await client.post("/v1/ask", json={"url": LONG, "question": "  is he a NIGHT   owl? "})
    assert first.status_code == second.status_code == again.status_code == 200
    searches = [args for fn, args in runner.calls if fn is search]
    # Cold: asked without the transcript, then with it; warm: the kept index; the repeat: from the cache.
    assert [args[2] is not None for args in searches] == [False, True, False]
    assert again.json()["passages"] == first.json()["passages"]
    assert "night owl" in first.json()["passages"][0]["text"]
    assert {outcome: asks(outcome) - count for outcome, count in before.items()} == {
        "cold": 1,
        "warm": 1,
        "cached": 1,
    }


async def test_in_the_cpu_process() -> None:
    runner = CpuProcess(cpu_share=0)
    try:
        async with service(runner) as client:
            cold = await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})
            warm = await client.post("/v1/ask", json={"url": MEDIUM, "question": "what is cross-attention?"})
    finally:
        await runner.stop()
    assert "600 million parameters" in cold.json()["passages"][0]["text"]
    assert "cross-attention" in warm.json()["passages"][0]["text"]


async def test_rate_limited_like_summaries() -> None:
    async with service(rate_limit="2/minute") as client:
        answers = [
            await client.post("/v1/ask", json={"url": MEDIUM, "question": f"q{n} mole"}) for n in range(3)
        ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["error"]["code"] == "rate_limited" and int(answers[2].headers["Retry-After"]) > 0


@asynccontextmanager
async def llm_service(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, FakeLLM]]:
    async with (
        FakeLLM().running() as fake,
        service(llm_base_url=fake.url, llm_model="fake-model", **overrides) as client,
    ):
        yield client, fake


async def test_the_model_answers_from_the_passages_citing_their_times() -> None:
    async with llm_service() as (client, fake):
        body = (await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})).json()
        again = (await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS.upper()})).json()
    assert body["source"] == "llm" and fake.violations == []
    first = body["passages"][0]
    # The citation [1] became passage 1's time; the citation of a passage that does not exist is gone.
    assert body["answer"].startswith("Answer: ") and f"({clock(first['start'])})" in body["answer"]
    assert "[" not in body["answer"]
    assert (again["answer"], len(fake.requests)) == (body["answer"], 1)  # the same question: from the cache
    user = fake.requests[0]["messages"][1]["content"]
    assert user.startswith(
        f"<question>\n{PARAMETERS}\n</question>\n<transcript>\n[1] ({clock(first['start'])})"
    )
    assert user.count("\n[") == len(body["passages"])  # only the passages go to the model


async def test_a_failing_model_leaves_the_passages() -> None:
    async with llm_service(llm_max_retries=0) as (client, fake):
        fake.fail_when("<question>", 500)
        body = (await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})).json()
        again = (await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})).json()
    assert (body["answer"], body["source"]) == (None, "extractive") and again == body
    assert len(fake.requests) == 2  # an answer without the model is not cached: the model is asked again
    assert "600 million parameters" in body["passages"][0]["text"]


@pytest.mark.parametrize("name", MALFORMED | BROKEN)
async def test_a_model_answer_of_another_shape_or_broken_leaves_the_passages(name: str) -> None:
    streams, events = (MALFORMED | BROKEN)[name]
    async with llm_service() as (client, fake):
        fake.stream = streams
        fake.send_when("<question>", *events)
        response = await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["answer"], body["source"]) == (None, "extractive")
    assert "600 million parameters" in body["passages"][0]["text"]


async def test_a_model_answer_citing_nothing_is_not_shown() -> None:
    async with llm_service() as (client, fake):
        fake.reply_when("<question>", "The video says so, trust me.")
        body = (await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})).json()
    assert (body["answer"], body["source"]) == (None, "extractive")


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache's Redis close()
async def test_with_redis_another_process_answers_from_the_shared_cache(redis_url: str) -> None:
    first, second = RecordingRunner(), RecordingRunner()
    question = {"url": MEDIUM, "question": "What is cross-attention?"}
    async with service(first, redis_url=redis_url) as client:
        answer = await client.post("/v1/ask", json=question)
    async with service(second, redis_url=redis_url) as client:
        again = await client.post("/v1/ask", json=question)
    assert answer.status_code == again.status_code == 200 and again.json() == answer.json()
    assert [fn for fn, _ in first.calls].count(search) == 2 and second.calls == []


async def test_a_dead_cpu_process_is_an_error_body_not_silence() -> None:
    before = asks("internal_error")
    async with service(CrashingRunner(search)) as client:
        response = await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})
        later = await client.post("/v1/ask", json={"url": MEDIUM, "question": PARAMETERS})
    assert response.status_code == later.status_code == 500  # not cached: the next question tries again
    assert response.json()["error"]["code"] == "internal_error" and asks("internal_error") == before + 2


async def test_api_key_is_checked_before_the_body() -> None:
    async with service(api_key="k3y") as client:
        refused = await client.post("/v1/ask", content=b"not even json")
        allowed = await client.post(
            "/v1/ask", json={"url": MEDIUM, "question": "mole"}, headers={"X-API-Key": "k3y"}
        )
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "unauthorized")
    assert allowed.status_code == 200


# SHORT (3Blue1Brown on large language models) says at 0:00 "I was contacted by the Computer History Museum";
# MEDIUM does not.
MUSEUM = "Which museum asked for this video?"


async def test_a_summary_of_subtitles_is_asked_about_by_its_job_id() -> None:
    async with service() as client:
        linked = await client.post("/v1/summaries", json={"url": UNCAPTIONED, "subtitles": files.srt(MEDIUM)})
        alone = await client.post("/v1/summaries", json={"subtitles": files.srt(MEDIUM)})
        fetched = transcript_fetches()
        answers = [
            await client.post("/v1/ask", json={"job_id": job.json()["id"], "question": PARAMETERS})
            for job in (linked, alone)
        ]
        assert transcript_fetches() == fetched  # no provider asked: the subtitles sent answered
        by_url = await client.post("/v1/ask", json={"url": UNCAPTIONED, "question": PARAMETERS})
        unknown = await client.post("/v1/ask", json={"job_id": "no-such-job", "question": PARAMETERS})
    for answer, job in zip(answers, (linked, alone), strict=True):
        assert answer.status_code == 200
        assert answer.json()["video_id"] == job.json()["video_id"]
        assert "600 million parameters" in answer.json()["passages"][0]["text"]
    assert all(
        p["url"].startswith(f"https://youtu.be/{UNCAPTIONED}?t=") for p in answers[0].json()["passages"]
    )
    assert all(
        p["url"] is None for p in answers[1].json()["passages"]
    )  # a file without a video links nowhere
    # Someone asking about the video gets YouTube's captions (here: none), never a client's file.
    assert (by_url.status_code, by_url.json()["error"]["code"]) == (422, "no_transcript")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")


async def test_a_summary_of_an_inline_transcript_is_asked_about_by_its_job_id() -> None:
    own = files.load(SHORT)  # a client's own captions for MEDIUM (those of another video, to tell them apart)
    transcript = {"language_code": "en", "is_generated": False, "snippets": own["snippets"]}
    async with service() as client:
        job = (await client.post("/v1/summaries", json={"url": MEDIUM, "transcript": transcript})).json()
        by_job = await client.post("/v1/ask", json={"job_id": job["id"], "question": MUSEUM})
        by_url = await client.post("/v1/ask", json={"url": MEDIUM, "question": MUSEUM})
    assert by_job.json()["video_id"] == by_url.json()["video_id"] == MEDIUM
    assert "Computer History Museum" in by_job.json()["passages"][0]["text"]
    assert not any("Computer History Museum" in p["text"] for p in by_url.json()["passages"])  # MEDIUM's own


async def test_once_the_subtitles_are_no_longer_kept() -> None:
    app = create_app(settings(), InlineRunner())
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        alone = (await client.post("/v1/summaries", json={"subtitles": files.srt(SHORT)})).json()
        linked = (
            await client.post("/v1/summaries", json={"url": MEDIUM, "subtitles": files.srt(SHORT)})
        ).json()
        await app.state.services.engine.cache.backend.clear()  # TRANSCRIPT_TTL passed, say
        gone = await client.post("/v1/ask", json={"job_id": alone["id"], "question": MUSEUM})
        fallback = await client.post("/v1/ask", json={"job_id": linked["id"], "question": PARAMETERS})
    assert (gone.status_code, gone.json()["error"]["code"]) == (404, "not_found")
    assert "send the subtitles again" in gone.json()["error"]["message"]
    # A file of a YouTube video: the video's own captions answer (here MEDIUM's, from the caption folder).
    assert fallback.status_code == 200 and "600 million parameters" in fallback.json()["passages"][0]["text"]
