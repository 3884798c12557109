"""Redis restarting empty (the free Key Value keeps nothing): a job waiting in the shared queue is not lost;
the web process that shows it queues it again and it finishes (issue 17)."""

from __future__ import annotations

import httpx
import pytest

from api.main import create_app
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from tests.support.data import SHORT, TRANSCRIPTS
from tests.support.redis_mode import redis_client, saved_status, worker
from tests.support.rest import finished
from tests.support.servers import serve
from tests.support.waiting import eventually

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache 0.12


async def test_a_waiting_job_redis_forgot_is_queued_again_and_finishes(redis_url: str) -> None:
    settings = Settings(
        redis_url=redis_url, transcript_dir=str(TRANSCRIPTS), job_lease_seconds=0.5, queue_poll_seconds=0.1
    )
    web = create_app(settings.model_copy(update={"run_worker": False}), InlineRunner())  # runs no job itself
    async with serve(web) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        job = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        assert job["status"] == "queued" and await saved_status(redis_url, job["id"], "queued")
        async with redis_client(redis_url) as redis:
            await redis.flushdb()  # the Key Value restarted empty

        async with worker(settings, InlineRunner()):
            done = await finished(client, job["id"])
        assert done["tldr"] and (await client.get("/readyz")).json()["queue"]["waiting"] == 0

        async def known_again() -> bool:
            return await saved_status(redis_url, job["id"], "done")

        await eventually(known_again, "the job saved again, done")
