"""The residential lane: a job YouTube refuses on the process that tries it goes to a worker whose YouTube
answers (summarizer/backends/redis_lane.py), over the real `redis-server` of tests/conftest.py.

The web process is this one, its YouTube answering "blocked" (the recorded answer, through the real
youtube-transcript-api); the lane's worker is a real `python -m summarizer worker --lane residential`
subprocess whose YouTube answers the recorded captions (tests/support/recorded_worker.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aredis
import responses

from api.main import create_app
from core.config import Settings
from core.telemetry import JOBS_HANDED_OFF, TRANSCRIPT_FETCHES
from summarizer.backends.redis_keys import lane_deadlines_key
from summarizer.backends.redis_lane import RESIDENTIAL, Lane
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.jobs import Job
from tests.support.data import ROOT
from tests.support.redis_mode import redis_client, stops, worker
from tests.support.servers import RedisServer, serve
from tests.support.waiting import eventually, until
from tests.support.youtube import VIDEO, asset, replace_player

# aiocache 0.12 calls redis-py's `close`, deprecated since redis-py 5.0.1 (for `aclose`).
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

LEASE = 0.6  # seconds: the rounds that fail overdue hand-offs come this often


def lane_settings(redis_url: str, **overrides: Any) -> Settings:
    """Redis, YouTube as the only provider, quick polls and rounds."""
    options: dict[str, Any] = {
        "redis_url": redis_url,
        "queue_poll_seconds": 0.1,
        "job_lease_seconds": LEASE,
        "residential_wait_seconds": 60.0,
        "youtube_breaker_failures": 100,  # every job asks YouTube here
    }
    return Settings(_env_file=None, **{**options, **overrides})


def handed_off(outcome: str) -> float:
    value: float = JOBS_HANDED_OFF.labels(RESIDENTIAL, outcome)._value.get()
    return value


def blocked_here() -> float:
    value: float = TRANSCRIPT_FETCHES.labels("youtube", "blocked")._value.get()
    return value


@asynccontextmanager
async def lane(redis_url: str, wait_seconds: float = 60.0) -> AsyncIterator[Lane]:
    client = aredis.Redis.from_url(redis_url)
    try:
        yield Lane(client, RESIDENTIAL, wait_seconds)
    finally:
        await client.aclose()


async def _none_overdue(watched: Lane) -> bool:
    return await watched.overdue() == []


async def ended(job: Job) -> Job:
    async with asyncio.timeout(60):
        async for _ in job.changes():
            pass
    return job


def output(log: Path) -> str:
    """What the worker process wrote (a few KB: read at once when a check fails)."""
    return log.read_text()


@asynccontextmanager
async def residential_worker(redis_url: str, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m summarizer worker --lane residential` whose YouTube serves the recorded captions; once it
    has announced itself, and stopped with SIGTERM at the end (exit code 0)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "REDIS_URL": redis_url,
        "QUEUE_POLL_SECONDS": "0.1",
        "JOB_LEASE_SECONDS": str(LEASE),
        "SUMMARIZER_CPU_SHARE": "1",  # unpaced
    }
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.support.recorded_worker",
            "--lane",
            "residential",
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        async with lane(redis_url) as watched:

            async def announced() -> bool:
                assert process.returncode is None, output(log)
                return await watched.served()

            await eventually(announced, "the lane's worker announces itself", tries=1500)
        yield process
        process.send_signal(signal.SIGTERM)
        await stops(process.wait(), "the lane's worker, on SIGTERM,")
        assert process.returncode == 0, output(log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_video_youtube_refuses_here_is_summarized_by_the_residential_worker(
    redis_url: str, yt: responses.RequestsMock, tmp_path: Path
) -> None:
    """Through the REST API of a web process whose YouTube answers "blocked": the job is handed to the lane,
    the worker at "home" fetches the captions and summarizes them, and the web process shows the result."""
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    before = blocked_here(), handed_off("handed")
    async with residential_worker(redis_url, tmp_path / "worker.log"):
        app = create_app(lane_settings(redis_url), InlineRunner())
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            posted = (await client.post("/v1/summaries", json={"url": VIDEO})).json()

            async def finished() -> dict[str, Any] | None:
                seen: dict[str, Any] = (await client.get(f"/v1/summaries/{posted['id']}")).json()
                assert seen["status"] != "failed", seen
                return seen if seen["status"] == "done" else None

            done = await eventually(finished, "the residential worker finishes the job", tries=3000)
        async with redis_client(redis_url) as client_:
            assert not await client_.exists(lane_deadlines_key(RESIDENTIAL))  # taken: no longer waiting
    assert (blocked_here(), handed_off("handed")) == (before[0] + 1, before[1] + 1)  # refused here first
    assert done["provider"] == "youtube" and done["title"] == "Surface Go Review - It\u2019s Awesome"
    assert done["channel"] == "Dave2D" and done["chunks"] and done["tldr"]


async def test_without_a_residential_worker_a_refused_video_fails_at_once(
    redis_url: str, yt: responses.RequestsMock
) -> None:
    """No lane worker was ever seen: nothing waits for one, the job fails `blocked` as before."""
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    before = handed_off("handed")
    engine = Engine.from_settings(lane_settings(redis_url), InlineRunner())
    await engine.start()
    try:
        job = await ended((await engine.submit(VIDEO))[0])
    finally:
        await stops(engine.stop(), "the web process")
    assert job.error is not None and job.error.code == "blocked"
    assert "did not take this video" not in job.error.message and handed_off("handed") == before


async def test_a_job_no_residential_worker_takes_in_time_fails_with_a_clear_message(
    redis_url: str, yt: responses.RequestsMock
) -> None:
    """A lane worker was seen lately but is not running: the job waits RESIDENTIAL_WAIT_SECONDS, then fails
    and says so; its queue entry is withdrawn."""
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    settings = lane_settings(redis_url, residential_wait_seconds=1.0)
    before = handed_off("expired")
    async with lane(redis_url, 1.0) as watched:
        await watched.announce("a-worker-that-stopped")
        engine = Engine.from_settings(settings, InlineRunner())
        await engine.start()
        try:
            job = (await engine.submit(VIDEO))[0]
            await asyncio.sleep(0.3)
            assert not job.finished  # handed over: waiting for the lane
            await ended(job)
            await eventually(lambda: _none_overdue(watched), "the hand-off is forgotten")
        finally:
            await stops(engine.stop(), "the web process")
    assert job.error is not None and job.error.code == "blocked"
    assert "residential worker" in job.error.message and "within 1 s" in job.error.message
    assert handed_off("expired") == before + 1
    async with redis_client(redis_url) as client:
        assert await client.zrange(f"arq:queue:{RESIDENTIAL}", 0, -1) == []


async def test_a_residential_worker_refused_too_fails_the_job_instead_of_passing_it_on(
    redis_url: str, yt: responses.RequestsMock
) -> None:
    """Two processes (here, two engines) both refused by YouTube: the web process hands the job over, the
    lane's worker tries, is refused too, and the job fails `blocked`; nothing loops."""
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    before = blocked_here(), handed_off("handed"), handed_off("taken")
    web = Engine.from_settings(lane_settings(redis_url), InlineRunner())
    async with worker(lane_settings(redis_url, worker_lane=RESIDENTIAL), InlineRunner()):
        async with lane(redis_url) as watched:
            await eventually(watched.served, "the lane's worker announces itself")
        await web.start()
        try:
            job = await ended((await web.submit(VIDEO))[0])
        finally:
            await stops(web.stop(), "the web process")
    assert job.error is not None and job.error.code == "blocked"
    assert (blocked_here(), handed_off("handed"), handed_off("taken")) == (
        before[0] + 2,
        before[1] + 1,
        before[2] + 1,
    )


async def test_a_residential_worker_announces_itself_again_after_redis_was_away(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis is gone for a while (the worker notices), then back, empty (it restarted): the worker announces
    itself again, so refused jobs are handed to the lane again."""
    async with worker(lane_settings(own_redis.url, worker_lane=RESIDENTIAL), InlineRunner()):
        with caplog.at_level(logging.WARNING, logger="summarizer.backends.redis_queue"):
            own_redis.kill()
            await until(lambda: "job queue in Redis unavailable" in caplog.text)
        own_redis.start()
        async with lane(own_redis.url) as watched:
            await eventually(watched.served, "the lane's worker announces itself again")
