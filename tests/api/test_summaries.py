"""REST end to end: the real app under uvicorn, real HTTP, real engine over recorded transcripts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.main import create_app
from summarizer.backends.local import LocalBackend
from summarizer.cpu_process import InlineRunner
from tests.support.data import MEDIUM, SHORT, TRANSCRIPTS
from tests.support.rest import gated_service, read_events, settings, wait_for
from tests.support.runners import GatedRunner
from tests.support.servers import serve

Gated = tuple[httpx.AsyncClient, GatedRunner]


@pytest.fixture
async def gated() -> AsyncIterator[Gated]:
    async with gated_service() as service:
        yield service


async def test_queued_running_done_with_partial_chunks(gated: Gated) -> None:
    client, runner = gated
    response = await client.post("/v1/summaries", json={"url": f"https://youtu.be/{SHORT}?si=abc"})
    assert response.status_code == 202
    job = response.json()
    assert (job["status"], job["video_id"], job["chunks"], job["tldr"]) == ("queued", SHORT, [], None)

    job = await wait_for(client, job["id"], lambda j: j["progress"]["total"] is not None)
    assert job["status"] == "running" and job["progress"] == {"done": 0, "total": 2}
    assert "large language model" in job["topics"] and job["tldr_points"] == []  # topics come first

    runner.release()
    job = await wait_for(client, job["id"], lambda j: j["progress"]["done"] == 1)
    assert job["status"] == "running" and job["tldr"] is None
    [chunk] = job["chunks"]
    assert chunk["index"] == 0 and len(chunk["points"]) == 3 and chunk["title"]
    for point in chunk["points"]:
        assert chunk["start"] <= point["start"] <= chunk["end"]
        assert point["url"] == f"https://youtu.be/{SHORT}?t={int(point['start'])}"

    runner.release()
    job = await wait_for(client, job["id"], lambda j: j["status"] == "done")
    assert [c["index"] for c in job["chunks"]] == [0, 1]
    assert job["tldr"] and job["progress"] == {"done": 2, "total": 2} and job["error"] is None
    items = job["tldr_points"]
    assert 2 <= len(items) <= 5 and job["tldr"] == " ".join(item["text"] for item in items)
    assert all(item["url"] == f"https://youtu.be/{SHORT}?t={int(item['start'])}" for item in items)


async def test_single_flight_joins_the_job_in_flight(gated: Gated) -> None:
    client, runner = gated
    first = (await client.post("/v1/summaries", json={"url": SHORT})).json()
    again = await client.post("/v1/summaries", json={"url": f"https://www.youtube.com/watch?v={SHORT}&t=42"})
    assert again.status_code == 202 and again.json()["id"] == first["id"]
    runner.release(2)
    await wait_for(client, first["id"], lambda j: j["status"] == "done")


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"queue_max": 1, "max_jobs_per_requester": 5}, 503, "busy"),
        ({"queue_max": 5, "max_jobs_per_requester": 2}, 429, "rate_limited"),
    ],
)
async def test_refused_when_the_queue_is_full_or_the_client_has_too_many_jobs(
    overrides: dict[str, int], status: int, code: str
) -> None:
    async with gated_service(**overrides) as (client, runner):
        running = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        await wait_for(client, running["id"], lambda j: j["status"] == "running")
        waiting = await client.post("/v1/summaries", json={"url": "--7Dd2sAwPA"})
        assert waiting.status_code == 202  # one place left in the queue / under the cap

        refused = await client.post("/v1/summaries", json={"url": "cdiD-9MMpb0"})
        assert refused.status_code == status
        assert refused.json()["error"]["code"] == code
        assert int(refused.headers["Retry-After"]) >= 5

        runner.release(100)  # every job accepted still finishes
        for job_id in (running["id"], waiting.json()["id"]):
            await wait_for(client, job_id, lambda j: j["status"] == "done")


async def test_sse_late_listener_gets_done_chunks_first_then_the_rest_in_order(gated: Gated) -> None:
    client, runner = gated
    job = (await client.post("/v1/summaries", json={"url": MEDIUM})).json()
    runner.release(2)
    await wait_for(client, job["id"], lambda j: j["progress"]["done"] == 2)

    events: list[tuple[str, dict[str, Any]]] = []
    async with client.stream("GET", f"/v1/summaries/{job['id']}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        async for event in read_events(response):
            events.append(event)
            if len(events) == 2:  # the two finished chunks arrived before any more work was done
                runner.release(4)
    names = [name for name, _ in events]
    assert names == ["chunk"] * 6 + ["done"]
    assert [data["index"] for _, data in events[:-1]] == list(range(6))
    assert all(data["title"] for _, data in events[:-1])  # each chunk event carries its title
    done = events[-1][1]
    assert done["status"] == "done" and len(done["chunks"]) == 6 and done["topics"] and done["tldr_points"]


async def test_sse_of_a_failed_job_ends_with_failed(gated: Gated) -> None:
    client, _ = gated
    job = (await client.post("/v1/summaries", json={"url": "AAAAAAAAAAA"})).json()
    async with client.stream("GET", f"/v1/summaries/{job['id']}/events") as response:
        events = [event async for event in read_events(response)]
    assert [name for name, _ in events] == ["failed"]
    assert events[0][1]["error"]["code"] == "no_transcript"


async def test_cached_second_request_is_answered_200_at_once(gated: Gated) -> None:
    client, runner = gated
    first = (await client.post("/v1/summaries", json={"url": SHORT})).json()
    runner.release(2)
    done = await wait_for(client, first["id"], lambda j: j["status"] == "done")

    again = await client.post("/v1/summaries", json={"url": f"youtube.com/shorts/{SHORT}"})
    assert again.status_code == 200
    cached = again.json()
    assert cached["status"] == "done" and cached["id"] != first["id"]
    assert (cached["chunks"], cached["tldr"]) == (done["chunks"], done["tldr"])
    assert (await client.get(f"/v1/summaries/{cached['id']}")).json() == cached


async def test_missing_transcript_fails_and_is_remembered(gated: Gated) -> None:
    client, _ = gated
    job = (await client.post("/v1/summaries", json={"url": "AAAAAAAAAAA"})).json()
    failed = await wait_for(client, job["id"], lambda j: j["status"] == "failed")
    assert failed["error"]["code"] == "no_transcript" and failed["error"]["message"]
    again = await client.post("/v1/summaries", json={"url": "AAAAAAAAAAA"})
    assert again.status_code == 200 and again.json()["error"]["code"] == "no_transcript"


async def test_inline_transcript_is_summarized() -> None:
    data = json.loads((TRANSCRIPTS / "--7Dd2sAwPA.json").read_text())
    body = {
        "url": "dQw4w9WgXcQ",
        "transcript": {k: data[k] for k in ("language_code", "is_generated", "snippets")},
    }
    async with (
        serve(create_app(settings(), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        job = (await client.post("/v1/summaries", json=body)).json()
        done = await wait_for(client, job["id"], lambda j: j["status"] == "done")
    assert done["video_id"] == "dQw4w9WgXcQ" and done["language_code"] == "en"
    assert all(
        p["url"].startswith("https://youtu.be/dQw4w9WgXcQ?t=") for c in done["chunks"] for p in c["points"]
    )


async def test_too_long_video_fails_with_too_long() -> None:
    async with (
        serve(create_app(settings(max_video_seconds=3600), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        job = (await client.post("/v1/summaries", json={"url": "cdiD-9MMpb0"})).json()
        failed = await wait_for(client, job["id"], lambda j: j["status"] == "failed")
    assert failed["error"]["code"] == "too_long" and "3.5 h" in failed["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"url": "https://vimeo.com/123"}, 422, "invalid_url"),
        ({"url": "https://www.youtube.com/@channel"}, 422, "invalid_url"),
        ({"url": ""}, 422, "invalid_url"),
        ({}, 422, "invalid_request"),
        ({"url": 5}, 422, "invalid_request"),
        ({"url": SHORT, "languages": ["english!"]}, 422, "invalid_request"),
        ({"url": SHORT, "languages": ["en-" + "abcdefgh-" * 45_000 + "x"]}, 422, "invalid_request"),
        ({"url": SHORT, "languages": ["en-abcdefgh-abcdefgh-abcdefgh-abcdefgh"]}, 422, "invalid_request"),
        ({"url": SHORT, "languages": ["en"] * 11}, 422, "invalid_request"),
        ({"url": SHORT, "transcript": {"language_code": "en", "snippets": []}}, 422, "invalid_request"),
        (
            {
                "url": SHORT,
                "transcript": {
                    "language_code": "en",
                    "snippets": [{"text": "x", "start": -1, "duration": 1}],
                },
            },
            422,
            "invalid_request",
        ),
    ],
)
async def test_bad_requests_get_the_contract_error_body(body: dict[str, Any], status: int, code: str) -> None:
    async with (
        serve(create_app(settings(), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.post("/v1/summaries", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    if code == "invalid_url":
        assert "youtu.be" in error["message"]


async def test_limits_unknown_ids_and_api_key() -> None:
    snippet = {"text": "word " * 20, "start": 0, "duration": 1}
    app = create_app(
        settings(api_key="s3cret", max_body_bytes=20_000, max_transcript_snippets=10), InlineRunner()
    )
    async with serve(app) as url, httpx.AsyncClient(base_url=url, headers={"X-API-Key": "s3cret"}) as client:
        response = await client.post("/v1/summaries", json={"url": SHORT}, headers={"X-API-Key": "wrong"})
        assert (response.status_code, response.json()["error"]["code"]) == (401, "unauthorized")
        assert (await client.get("/healthz", headers={"X-API-Key": ""})).status_code == 200

        response = await client.get("/v1/summaries/nope")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
        response = await client.get("/v1/summaries/nope/events")
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")

        body: dict[str, Any] = {
            "url": SHORT,
            "transcript": {"language_code": "en", "snippets": [snippet] * 11},
        }
        response = await client.post("/v1/summaries", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (413, "transcript_too_large")

        body["transcript"]["snippets"] = [snippet] * 500
        response = await client.post("/v1/summaries", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")

        async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: the limit applies while reading
            yield json.dumps(body).encode()

        response = await client.post(
            "/v1/summaries", content=chunked(), headers={"Content-Type": "application/json"}
        )
        assert (response.status_code, response.json()["error"]["code"]) == (413, "payload_too_large")


async def test_health_and_openapi_describe_every_endpoint_and_error() -> None:
    async with (
        serve(create_app(settings(), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "ok" and ready["queue"]["max"] == settings().queue_max
        schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    post = paths["/v1/summaries"]["post"]["responses"]
    assert {"200", "202", "401", "413", "422", "429", "503"} <= set(post)
    assert post["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert {"200", "404"} <= set(paths["/v1/summaries/{job_id}"]["get"]["responses"])
    assert "text/event-stream" in paths["/v1/summaries/{job_id}/events"]["get"]["responses"]["200"]["content"]
    assert {"/healthz", "/readyz"} <= set(paths)


async def test_rate_limit_per_client_answers_429_with_retry_after() -> None:
    app = create_app(settings(rate_limit="2/minute"), InlineRunner())
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        answers = [await client.post("/v1/summaries", json={"url": SHORT}) for _ in range(3)]
    assert [a.status_code for a in answers[:2]] in ([202, 202], [202, 200])
    assert answers[2].status_code == 429 and answers[2].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60


async def test_sustained_lag_sheds_new_work_only_and_one_spike_never() -> None:
    app = create_app(settings(readyz_max_loop_lag=0.5), InlineRunner())
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        first = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        await wait_for(client, first["id"], lambda j: j["status"] == "done")
        monitor = app.state.services.monitor
        await monitor.stop()  # no new samples from here on: the test records them
        monitor.record(3.5)  # one long step (a 3.5-hour video's job starting): a spike
        spike = await client.post("/v1/summaries", json={"url": MEDIUM})
        for lag in (2.0, 2.0):  # three samples in a row over the threshold: sustained
            monitor.record(lag)
        cached = await client.post("/v1/summaries", json={"url": SHORT})
        new = await client.post("/v1/summaries", json={"url": "sektMcC_PAk"})
        ready = (await client.get("/readyz")).json()
    assert spike.status_code == 202
    assert cached.status_code == 200
    assert new.status_code == 503 and new.json()["error"]["code"] == "busy"
    assert "lag" in new.json()["error"]["message"] and int(new.headers["Retry-After"]) > 0
    assert "event_loop_lag" in ready["degraded"]


async def test_flood_is_refused_cleanly_and_every_accepted_job_finishes() -> None:
    runner = GatedRunner()
    app = create_app(settings(queue_max=5, max_jobs_per_requester=1000, rate_limit=""), runner)
    videos = ["LPZh9BOjkQs", *(f"flood{i:06d}" for i in range(59))]  # one real video, 59 without captions
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        first = (await client.post("/v1/summaries", json={"url": videos[0]})).json()
        await wait_for(client, first["id"], lambda j: j["status"] == "running")  # holds the only worker
        answers = await asyncio.gather(*(client.post("/v1/summaries", json={"url": v}) for v in videos[1:]))
        jobs = app.state.services.engine.jobs
        assert isinstance(jobs, LocalBackend)
        assert jobs.queue.waiting == 5  # bounded: the queue never holds more than QUEUE_MAX
        accepted = [a.json()["id"] for a in answers if a.status_code == 202]
        refused = [a for a in answers if a.status_code == 503]
        assert len(accepted) == 5 and len(refused) == 54
        assert all(
            a.json()["error"]["code"] == "busy" and int(a.headers["Retry-After"]) >= 5 for a in refused
        )
        assert len(jobs.recent) == 6  # refused requests leave nothing behind
        runner.release(10)
        for job_id in [first["id"], *accepted]:
            job = await wait_for(client, job_id, lambda j: j["status"] in ("done", "failed"))
            assert job["status"] == "done" or job["error"]["code"] == "no_transcript"
