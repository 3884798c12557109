"""REST end to end with LLM summaries: the real app and a local OpenAI-compatible server, both over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.main import create_app
from core.config import Settings
from core.formats import clock
from summarizer.abstractive import WORDS_PER_TOKEN
from summarizer.cpu_process import InlineRunner
from summarizer.jobs import Job
from summarizer.outline import Outline, outline
from summarizer.transcripts.folder import FolderSource
from tests.support.data import SHORT, TRANSCRIPTS
from tests.support.fake_llm import FakeLLM
from tests.support.rest import read_events, wait_for
from tests.support.servers import serve

CHUNK_TOKENS = 400
SPONSORED = "9P6rdqiybaw"  # Kurzgesagt, 9:13: a Brilliant sponsor read near the end


@asynccontextmanager
async def service(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, FakeLLM]]:
    async with FakeLLM().running() as fake:
        settings = Settings(
            _env_file=None,
            transcript_dir=str(TRANSCRIPTS),
            llm_base_url=fake.url,
            llm_model="fake-model",
            llm_chunk_tokens=CHUNK_TOKENS,
            **overrides,
        )
        async with (
            serve(create_app(settings, InlineRunner())) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            yield client, fake


def sources(job: dict[str, Any]) -> set[str]:
    return {chunk["source"] for chunk in job["chunks"]}


def plan_of(video_id: str) -> Outline:
    """The extractive outline of the LLM path's chunks of `video_id` (its titles, topics, ads, purpose)."""
    transcript = FolderSource(str(TRANSCRIPTS)).fetch(video_id, ("en",))
    seconds = Settings(_env_file=None).max_video_seconds
    return outline(transcript, seconds, int(CHUNK_TOKENS * WORDS_PER_TOKEN))


async def test_per_request_summarizer_separate_jobs_and_cache_entries() -> None:
    async with service(concurrent_jobs=2) as (
        client,
        fake,
    ):  # the extractive job need not wait for the LLM one
        fake.pause = asyncio.Event()  # hold the LLM job mid-stream
        llm = await client.post("/v1/summaries", json={"url": SHORT, "summarizer": "llm"})
        assert llm.status_code == 202 and llm.json()["summarizer"] == "llm:fake-model"
        await wait_for(client, llm.json()["id"], lambda j: j["partial"] is not None)

        # Same video, other summarizer: a job of its own; same summarizer: the job in flight.
        extractive = await client.post("/v1/summaries", json={"url": SHORT})
        again = await client.post("/v1/summaries", json={"url": SHORT, "summarizer": "llm"})
        assert extractive.json()["id"] != llm.json()["id"] == again.json()["id"]
        plain = await wait_for(client, extractive.json()["id"], lambda j: j["status"] == "done")
        assert plain["summarizer"] == "extractive" and sources(plain) == {"extractive"}

        fake.pause.set()
        done = await wait_for(client, llm.json()["id"], lambda j: j["status"] == "done")
        assert sources(done) == {"llm"} and done["partial"] is None
        assert all(item["text"].startswith("TL;DR: ") for item in done["tldr_points"])
        assert (done["tldr_source"], plain["tldr_source"]) == ("llm", "extractive")

        calls = len(fake.requests)
        for body, expected in (({"summarizer": "llm"}, done), ({"summarizer": "extractive"}, plain)):
            cached = (await client.post("/v1/summaries", json={"url": SHORT, **body})).json()
            assert cached["status"] == "done"
            fields = ("chunks", "topics", "tldr_points", "tldr", "tldr_source")
            assert [cached[f] for f in fields] == [expected[f] for f in fields]
        assert len(fake.requests) == calls  # both answered from their own cache entries


async def test_sse_sends_the_points_being_written_before_their_chunk() -> None:
    async with service() as (client, fake):
        fake.pause = asyncio.Event()  # the first answers stop after their first point
        job = (await client.post("/v1/summaries", json={"url": SHORT, "summarizer": "llm"})).json()
        events: list[tuple[str, dict[str, Any]]] = []
        async with client.stream("GET", f"/v1/summaries/{job['id']}/events") as response:
            async for event in read_events(response):
                events.append(event)
                fake.pause.set()  # after the first event, a partial one: the answers go on
    first, data = events[0]
    assert first == "partial" and data["index"] == 0 and data["source"] == "llm" and len(data["points"]) == 1
    assert events[-1][0] == "done" and events[-1][1]["partial"] is None
    chunks = {data["index"]: data for name, data in events if name == "chunk"}
    assert sorted(chunks) == list(range(len(chunks))) and len(chunks) > 1
    for n, (name, data) in enumerate(events):
        if name == "partial":  # each shows points of its chunk, and comes before that chunk
            assert all(point in chunks[data["index"]]["points"] for point in data["points"])
            assert ("chunk", chunks[data["index"]]) in events[n + 1 :]


async def test_fallback_shows_in_the_job_resource() -> None:
    async with service(summarizer="llm", llm_max_retries=0) as (client, fake):
        fake.fail_when("", 500)
        job = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        done = await wait_for(client, job["id"], lambda j: j["status"] == "done")
        again = await client.post("/v1/summaries", json={"url": SHORT})
    assert done["summarizer"] == "llm:fake-model" and sources(done) == {"extractive"}
    assert done["error"] is None and done["tldr"] and done["tldr_source"] == "extractive"
    plan = plan_of(SHORT)  # every part of the outline is the extractive one
    assert [c["title"] for c in done["chunks"]] == plan.titles and done["topics"] == plan.topics
    assert again.status_code == 202  # a fallback summary is not cached: the model is asked again


async def test_the_models_titles_topics_and_tldr_points_in_the_job_resource() -> None:
    plan = plan_of(SPONSORED)
    async with service(summarizer="llm") as (client, fake):
        fake.pause = asyncio.Event()  # the first answers stop after their first point
        job = (await client.post("/v1/summaries", json={"url": SPONSORED})).json()
        running = await wait_for(client, job["id"], lambda j: j["partial"] is not None)
        fake.pause.set()
        done = await wait_for(client, job["id"], lambda j: j["status"] == "done")
    # While the model writes, the job shows the extractive topics; when it is done, the model's.
    assert running["status"] == "running" and running["topics"] == plan.topics
    assert running["partial"]["title"] == f"Part at {clock(running['partial']['start'])}"
    assert done["topics"][0] == "fake topics" and len(done["topics"]) == 3
    assert sources(done) == {"llm"} and len(done["chunks"]) == len(plan.chunks)
    assert [c["title"] for c in done["chunks"]] == [f"Part at {clock(c['start'])}" for c in done["chunks"]]
    # No point from inside the sponsor read, though the model cited a line of it.
    points = [p for chunk in done["chunks"] for p in chunk["points"]]
    assert plan.ads and not any(a <= p["start"] <= b for a, b in plan.ads for p in points)
    # Each TL;DR item is at the moment (and link) of a point it cites; `tldr` is their text.
    moments = {(p["start"], p["url"]) for p in points}
    if plan.purpose is not None:
        moments.add((plan.purpose.start, plan.purpose.url))
    items = done["tldr_points"]
    assert done["tldr_source"] == "llm" and len(items) == 3
    assert all(set(item) == {"text", "start", "url"} for item in items)
    assert all((item["start"], item["url"]) in moments for item in items)
    assert done["tldr"] == " ".join(item["text"] for item in items)


async def test_llm_request_without_a_configured_model_is_422() -> None:
    settings = Settings(_env_file=None, transcript_dir=str(TRANSCRIPTS))
    async with serve(create_app(settings, InlineRunner())) as url, httpx.AsyncClient(base_url=url) as client:
        answer = await client.post("/v1/summaries", json={"url": SHORT, "summarizer": "llm"})
        wrong = await client.post("/v1/summaries", json={"url": SHORT, "summarizer": "gpt"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"
    assert "LLM_BASE_URL" in answer.json()["error"]["message"]
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_request"


def test_summaries_cached_before_tldr_source_existed_take_their_summarizers() -> None:
    old: dict[str, Any] = {"title": None, "language_code": "en", "chunks": [], "tldr": "A TL;DR."}
    extractive, llm = Job(SHORT, ("en",)), Job(SHORT, ("en",), summarizer="llm:m")
    for job in (extractive, llm):
        job.finish_from_summary(old)
    assert extractive.tldr_source == "extractive"
    assert llm.tldr_source == "llm"
