"""Following a job: every state reaches the platform in order, bursts are coalesced, the end always."""

from __future__ import annotations

import asyncio

from bot.progress import follow
from summarizer.errors import SummaryError
from summarizer.jobs import Job
from summarizer.models import ChunkSummary, Point, moment_url


async def test_bursts_are_coalesced_and_the_final_state_is_always_shown() -> None:
    job = Job("dQw4w9WgXcQ", ("en",))
    seen: list[tuple[str, int]] = []

    async def update(current: Job) -> None:
        seen.append((current.status.value, len(current.chunks)))

    follower = asyncio.create_task(follow(job, update, min_interval=0.2))
    await asyncio.sleep(0)
    job.begin(total=5, language_code="en", title=None)
    for index in range(5):  # five chunks in a burst, well inside one interval
        job.add_chunk(ChunkSummary(index, index * 10.0, index * 10.0 + 10))
    job.finish([Point("tl;dr", 0.0, moment_url(job.video_id, 0))])
    await asyncio.wait_for(follower, 5)

    assert seen[0] == ("queued", 0)
    assert seen[-1] == ("done", 5)
    assert len(seen) <= 3  # queued, maybe one coalesced progress state, done


async def test_a_failed_job_ends_the_follow() -> None:
    job = Job("dQw4w9WgXcQ", ("en",))
    seen: list[str] = []

    async def update(current: Job) -> None:
        seen.append(current.status.value)

    follower = asyncio.create_task(follow(job, update, min_interval=10))
    await asyncio.sleep(0)
    job.fail(SummaryError("no_transcript"))
    await asyncio.wait_for(follower, 5)
    assert seen == ["queued", "failed"]
