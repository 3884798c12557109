"""`POST /v1/summaries` with `"subtitles"`: the real app under uvicorn, real subtitle files
(tests/data/subtitles and the recorded transcripts written as SRT / WebVTT), the job resource, SSE, callbacks,
errors, and that a user's file never becomes anyone else's summary of the video."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.main import create_app
from summarizer.cpu_process import InlineRunner
from tests.support import subtitle_files as files
from tests.support.callbacks import SECRET, Receiver
from tests.support.data import GERMAN, MEDIUM, SHORT
from tests.support.rest import gated_service, read_events, settings, wait_for
from tests.support.servers import serve

SPAM = "OFFICIAL: claim your prize at evil.example"


def spam_srt(video_id: str) -> str:
    """The video's own timings with every line replaced: what someone poisoning the cache would send."""
    return "\n".join(
        f"{n}\n{files.clock(s['start'], ',')} --> {files.clock(s['start'] + s['duration'], ',')}\n"
        f"{SPAM} number {n}. Visit evil.example today, it is official.\n"
        for n, s in enumerate(files.snippets(video_id), 1)
    )


def point_texts(job: dict[str, Any]) -> list[str]:
    return [p["text"] for c in job["chunks"] for p in c["points"]] + [p["text"] for p in job["tldr_points"]]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings(), InlineRunner())) as url, httpx.AsyncClient(base_url=url) as http:
        yield http


async def test_subtitles_without_a_url_are_a_file_job_whose_points_link_nowhere(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/summaries", json={"subtitles": files.srt(SHORT)})
    assert response.status_code == 202
    job = response.json()
    assert job["video_id"].startswith("file-") and len(job["video_id"]) == 25
    done = await wait_for(client, job["id"], lambda j: j["status"] == "done")
    assert done["provider"] == "subtitles" and done["language_code"] == "en" and done["title"] is None
    points = [p for c in done["chunks"] for p in c["points"]] + done["tldr_points"]
    assert points and all(p["url"] is None for p in points)
    async with client.stream("GET", f"/v1/summaries/{job['id']}/events") as events:
        seen = [(name, data) async for name, data in read_events(events)]
    assert [name for name, _ in seen] == ["chunk"] * len(done["chunks"]) + ["done"]
    assert all(p["url"] is None for _, data in seen[:-1] for p in data["points"])
    assert seen[-1][1] == done

    again = await client.post(
        "/v1/summaries", json={"subtitles": files.vtt(SHORT)}
    )  # same captions, as WebVTT
    assert again.status_code == 200 and again.json()["video_id"] == job["video_id"]
    assert point_texts(again.json()) == point_texts(done)


async def test_subtitles_with_a_url_link_into_that_video() -> None:
    async with gated_service() as (client, runner):
        body = {"url": f"https://youtu.be/{GERMAN}", "subtitles": files.vtt(GERMAN)}
        job = (await client.post("/v1/summaries", json=body)).json()
        assert job["video_id"] == GERMAN
        runner.release(100)
        done = await wait_for(client, job["id"], lambda j: j["status"] == "done")
    assert done["language_code"].startswith("de-x-")  # the file's own key, German captions
    points = [p for c in done["chunks"] for p in c["points"]]
    assert points and all(p["url"].startswith(f"https://youtu.be/{GERMAN}?t=") for p in points)


async def test_a_users_file_never_becomes_the_summary_others_get_for_the_video() -> None:
    """Issue 17 item 4, for subtitle files: the spam file's summary is keyed by the file, not the video."""
    async with gated_service() as (client, runner):
        poisoned = (
            await client.post("/v1/summaries", json={"url": SHORT, "subtitles": spam_srt(SHORT)})
        ).json()
        # While it runs, a plain request for the video does not join it ...
        plain = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        assert plain["id"] != poisoned["id"]
        runner.release(100)
        spam = await wait_for(client, poisoned["id"], lambda j: j["status"] == "done")
        assert any("evil.example" in text for text in point_texts(spam))
        clean = await wait_for(client, plain["id"], lambda j: j["status"] == "done")
        # ... and after it, a plain request is answered from the video's own summary, never the file's.
        later = await client.post("/v1/summaries", json={"url": SHORT})
        other_file = await client.post("/v1/summaries", json={"url": SHORT, "subtitles": files.srt(SHORT)})
        runner.release(100)
        other = await wait_for(client, other_file.json()["id"], lambda j: j["status"] == "done")
    assert later.status_code == 200 and later.json()["language_code"] == "en"
    for job in (clean, later.json(), other):
        assert not any("evil.example" in text for text in point_texts(job))
    assert other_file.status_code == 202  # a different file of the same video is summarized itself
    assert other["language_code"] != spam["language_code"]


async def test_the_callback_of_a_file_job_has_no_links_either() -> None:
    receiver = Receiver([200])
    async with serve(receiver.app()) as hook_root:
        app = create_app(
            settings(callback_secret=SECRET, callback_allow_hosts=["127.0.0.1"], callback_allow_http=True),
            InlineRunner(),
        )
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            body = {"subtitles": files.srt(SHORT), "callback_url": f"{hook_root}/hook"}
            job = (await client.post("/v1/summaries", json=body)).json()
            for _ in range(500):
                if receiver.calls:
                    break
                await asyncio.sleep(0.01)
    [(_, posted)] = receiver.calls
    sent = json.loads(posted)
    assert sent["id"] == job["id"] and sent["status"] == "done"
    assert all(p["url"] is None for c in sent["chunks"] for p in c["points"])


@pytest.mark.parametrize(
    ("body", "status", "code", "says"),
    [
        ({"subtitles": "no timings in here at all"}, 422, "invalid_subtitles", "no cues with timings"),
        ({"subtitles": ""}, 422, "invalid_subtitles", "no cues with timings"),
        ({"subtitles": "WEBVTT\n\n00:01.000 --> 00:02.000\n\n"}, 422, "invalid_subtitles", "no text"),
        ({"subtitles": "x" * 3001}, 422, "invalid_subtitles", "at most 2.93 KB (3000 bytes)"),
        ({"subtitles": "1\n00:00:00,000 --> 02:00:00,000\nLong.\n"}, 422, "invalid_subtitles", "up to 1:00:00"),
        ({"url": "https://vimeo.com/1", "subtitles": files.srt(SHORT)}, 422, "invalid_url", "youtu.be"),
        ({"url": SHORT, "subtitles": "x", "transcript": {"language_code": "en", "snippets": [
            {"text": "x", "start": 0, "duration": 1}]}}, 422, "invalid_request", "not both"),
        ({"languages": ["en"]}, 422, "invalid_request", "subtitles"),
        ({"subtitles": 5}, 422, "invalid_request", "subtitles"),
    ],
)  # fmt: skip
async def test_bad_subtitles_get_the_error_body_saying_what_is_wrong(
    body: dict[str, Any], status: int, code: str, says: str
) -> None:
    app = create_app(settings(subtitles_max_bytes=3000, max_video_seconds=3600), InlineRunner())
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.post("/v1/summaries", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and says in error["message"], error


async def test_the_schema_documents_subtitles(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    request = schema["components"]["schemas"]["SummaryRequest"]
    assert "subtitles" in request["properties"] and "url" not in request.get("required", [])
    assert "SUBTITLES_MAX_BYTES" in request["properties"]["subtitles"]["description"]
    assert "invalid_subtitles" in schema["paths"]["/v1/summaries"]["post"]["responses"]["422"]["description"]


async def test_a_long_file_summarizes_like_the_video(client: httpx.AsyncClient) -> None:
    """The 26-minute lecture as SRT: the same chunks and key points as from its recorded transcript."""
    from_file = (
        await client.post("/v1/summaries", json={"url": MEDIUM, "subtitles": files.srt(MEDIUM)})
    ).json()
    from_video = (await client.post("/v1/summaries", json={"url": MEDIUM})).json()
    a = await wait_for(client, from_file["id"], lambda j: j["status"] == "done")
    b = await wait_for(client, from_video["id"], lambda j: j["status"] == "done")
    assert point_texts(a) == point_texts(b) and a["topics"] == b["topics"]
    assert [p["url"] for c in a["chunks"] for p in c["points"]] == [
        p["url"] for c in b["chunks"] for p in c["points"]
    ]
