"""Jobs in Redis: found by any process, resumed after a shutdown or a crash, finished chunks not redone.

Runs against the real `redis-server` that tests/conftest.py starts on a free port, over real HTTP
(summarizer/backends/redis.py, redis_store.py).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.main import create_app
from core.config import Settings
from summarizer.backends.redis_keys import LIVE, job_key, lease_key
from summarizer.backends.redis_store import job_from_state, job_state
from summarizer.cache import pack, unpack
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Delivery, Job
from summarizer.models import ChunkSummary, Point, Snippet, Transcript
from tests.support.data import MEDIUM, ROOT, TRANSCRIPTS
from tests.support.redis_mode import checkpointed, redis_client, saved_status
from tests.support.rest import finished, submitted_once_up
from tests.support.runners import CountingRunner
from tests.support.servers import free_port, serve
from tests.support.waiting import eventually

# aiocache 0.12 calls redis-py's `close`, deprecated since redis-py 5.0.1 (for `aclose`).
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")


@asynccontextmanager
async def service(redis_url: str, runner: InlineRunner) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(redis_url=redis_url, transcript_dir=str(TRANSCRIPTS), job_lease_seconds=1.0)
    async with (
        serve(create_app(settings, runner)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client


def test_job_state_round_trips_with_its_request() -> None:
    transcript = Transcript("v", "de", False, [Snippet("Hallo", 0.0, 1.5)], "Titel")
    job = Job("v", ("de", "en"), "ip:1", transcript, summarizer="llm:m", output_language="de")
    job.begin(2, "de", "Titel")
    job.add_chunk(ChunkSummary(0, 0.0, 1.5, [Point("Hallo", 0.0, "https://youtu.be/v?t=0")], "llm"))
    job.callbacks.append(Delivery("https://example.com/hook", attempts=1))
    job.fail(SummaryError("timeout"))
    again = job_from_state(job_state(job), transcript)
    assert job_state(again) == job_state(job)
    assert again.error is not None
    assert (again.key, again.transcript, again.error.code) == (job.key, transcript, "timeout")
    assert Transcript.from_dict(transcript.to_dict()) == transcript


async def test_a_job_is_found_by_another_process_while_running_and_when_done(redis_url: str) -> None:
    runner = CountingRunner(gated=True)
    async with service(redis_url, runner) as first, service(redis_url, InlineRunner()) as second:
        job = (await first.post("/v1/summaries", json={"url": MEDIUM})).json()
        runner.release(2)
        await checkpointed(redis_url, job["id"], 2)
        seen = (await second.get(f"/v1/summaries/{job['id']}")).json()
        assert (seen["status"], seen["progress"]) == ("running", {"done": 2, "total": 6})
        runner.release(4)
        done = await finished(first, job["id"])
        await eventually(
            lambda: saved_status(redis_url, job["id"], "done"), "the finished job is checkpointed"
        )
        assert (await second.get(f"/v1/summaries/{job['id']}")).json() == done
    async with redis_client(redis_url) as client:
        assert 0 < await client.ttl(job_key(job["id"])) <= 86400  # finished: kept for JOB_STATE_TTL
        assert not await client.sismember(LIVE, job["id"])
        assert not await client.exists(lease_key(job["id"]))


async def test_after_a_shutdown_the_next_process_resumes_the_job(redis_url: str) -> None:
    runner = CountingRunner(gated=True)
    async with service(redis_url, runner) as first:
        job = (await first.post("/v1/summaries", json={"url": MEDIUM})).json()
        runner.release(2)
        await checkpointed(redis_url, job["id"], 2)
    # Lifespan exit (SIGTERM): the job stays live in Redis, without a TTL, and its lease is given up.
    assert await saved_status(redis_url, job["id"], "running")
    async with redis_client(redis_url) as client:
        assert await client.ttl(job_key(job["id"])) == -1
        assert await client.sismember(LIVE, job["id"])
        assert not await client.exists(lease_key(job["id"]))
    await resumed_by_a_new_process(redis_url, job["id"])


async def test_after_kill_9_the_next_process_resumes_the_job(redis_url: str) -> None:
    port = free_port()
    args = ("-m", "tests.support.crash_app", redis_url, "2", str(port))
    crashing = await asyncio.create_subprocess_exec(sys.executable, *args, cwd=ROOT)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            job = await submitted_once_up(client, MEDIUM)
        await checkpointed(redis_url, job["id"], 2)
    finally:
        crashing.kill()  # SIGKILL: no lifespan exit, no last checkpoint, the lease left to expire
        await crashing.wait()
    async with redis_client(redis_url) as redis:

        async def lease_expired() -> bool:
            return not await redis.exists(lease_key(job["id"]))

        await eventually(lease_expired, "the dead process's lease expires")
    await resumed_by_a_new_process(redis_url, job["id"])


async def resumed_by_a_new_process(redis_url: str, job_id: str) -> None:
    """A new service on the same Redis finishes the job: the 4 chunks left, no more, same id."""
    runner = CountingRunner()
    async with service(redis_url, runner) as second:
        done = await finished(second, job_id)
    assert runner.calls == 4
    assert done["id"] == job_id
    assert [c["index"] for c in done["chunks"]] == list(range(6)) and done["tldr"]
    with_fresh_run = CountingRunner()
    async with service(redis_url, with_fresh_run) as third:  # the summary is cached now: same content
        again = (await third.post("/v1/summaries", json={"url": MEDIUM})).json()
    assert (again["status"], again["chunks"], again["tldr"]) == ("done", done["chunks"], done["tldr"])


async def test_a_job_whose_process_lives_is_not_taken_over(redis_url: str) -> None:
    runner = CountingRunner(gated=True)
    async with service(redis_url, runner) as first:
        job = (await first.post("/v1/summaries", json={"url": MEDIUM})).json()
        await asyncio.sleep(1.5)  # past a lease's life: the heartbeat renews it
        other = CountingRunner()
        async with service(redis_url, other) as second:
            assert (await second.get(f"/v1/summaries/{job['id']}")).json()["status"] in ("queued", "running")
        runner.release(6)
        assert (await finished(first, job["id"]))["id"] == job["id"]
    assert (runner.calls, other.calls) == (6, 0)


async def test_two_orphans_for_the_same_video_run_once(redis_url: str) -> None:
    """Two dead instances each had the video queued: the next process summarizes it once, the twin is
    answered from the cache."""
    jobs = [Job(MEDIUM, ("en",), f"ip:{n}") for n in range(2)]
    async with redis_client(redis_url) as redis:
        for job in jobs:
            await redis.hset(job_key(job.id), "state", pack(job_state(job)))
            await redis.sadd(LIVE, job.id)
    runner = CountingRunner()
    async with service(redis_url, runner) as client:

        async def both_ended() -> list[dict[str, Any]] | None:
            seen = [(await client.get(f"/v1/summaries/{job.id}")).json() for job in jobs]
            return seen if all(j["status"] in ("done", "failed") for j in seen) else None

        seen = await eventually(both_ended, "both resumed jobs ended")
    assert [j["status"] for j in seen] == ["done", "done"]
    assert seen[0]["chunks"] == seen[1]["chunks"]
    assert runner.calls == 6


async def test_the_cli_neither_keeps_its_jobs_in_redis_nor_resumes_others(redis_url: str) -> None:
    orphan = Job(MEDIUM, ("en",), "ip:1")
    async with redis_client(redis_url) as client:
        await client.hset(job_key(orphan.id), "state", pack(job_state(orphan)))
        await client.sadd(LIVE, orphan.id)
        settings = Settings(redis_url=redis_url, transcript_dir=str(TRANSCRIPTS))
        engine = Engine.from_settings(settings, InlineRunner(), durable=False)
        await engine.start()
        try:
            job, _ = await engine.submit("LPZh9BOjkQs", requester="cli")
            async for _ in job.changes():
                pass
        finally:
            await engine.stop()
        assert job.status == "done"
        assert await client.smembers(LIVE) == {orphan.id.encode()}
        state = await client.hget(job_key(orphan.id), "state")
        assert state is not None and unpack(state)["status"] == "queued"
        assert not await client.exists(job_key(job.id))
