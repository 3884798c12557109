"""The REST surface of the real app: settings over the recorded transcripts, a service with a gated
runner, polling a job until it reaches a state, reading a job's server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from api.main import create_app
from core.config import Settings
from tests.support.data import TRANSCRIPTS
from tests.support.runners import GatedRunner
from tests.support.servers import serve
from tests.support.waiting import eventually


def settings(**overrides: Any) -> Settings:
    return Settings(transcript_dir=str(TRANSCRIPTS), **overrides)


@asynccontextmanager
async def gated_service(**overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, GatedRunner]]:
    """The app under uvicorn with a `GatedRunner` (each chunk waits for `release()`), and a client."""
    runner = GatedRunner()
    async with (
        serve(create_app(settings(**overrides), runner)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client, runner


async def wait_for(
    client: httpx.AsyncClient, job_id: str, check: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The job resource, once `check(job)` holds (polled every 10 ms, 500 times at most)."""
    job: dict[str, Any] = {}
    for _ in range(500):
        job = (await client.get(f"/v1/summaries/{job_id}")).json()
        if check(job):
            return job
        await asyncio.sleep(0.01)
    raise AssertionError(f"job never reached the expected state: {job}")


async def finished(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    """The job resource, once it is done (polled every 20 ms, 500 times at most)."""

    async def check() -> dict[str, Any] | None:
        job: dict[str, Any] = (await client.get(f"/v1/summaries/{job_id}")).json()
        return job if job["status"] == "done" else None

    return await eventually(check, f"job {job_id} done")


async def submitted_once_up(client: httpx.AsyncClient, video_id: str) -> dict[str, Any]:
    """POST a job for `video_id` to a service process that may still be starting; the job."""

    async def posted() -> dict[str, Any] | None:
        try:
            job: dict[str, Any] = (await client.post("/v1/summaries", json={"url": video_id})).json()
            return job
        except httpx.TransportError:
            return None  # not listening yet

    return await eventually(posted, "the service answers", tries=1000)


async def read_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """The server-sent events of a job's stream as they arrive: (name, data)."""
    event = None
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            assert event is not None
            yield event, json.loads(line.removeprefix("data: "))
