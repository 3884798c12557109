"""The memory cache (no `REDIS_URL`): values packed, bounded by entries and by bytes; and what `Engine.submit`
writes to it for a transcript sent in (nothing when the request is refused)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import orjson
import pytest

from core.config import Settings
from summarizer.cache import BoundedMemoryCache, memory_cache
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.models import Snippet, Transcript
from summarizer.transcripts.folder import FolderSource
from tests.support.data import LONG, SHORT, TRANSCRIPTS

LANGS = ("en",)


def recorded(video_id: str) -> Transcript:
    return FolderSource(str(TRANSCRIPTS)).fetch(video_id, LANGS)


def another(transcript: Transcript, n: int) -> Transcript:
    """`transcript` with its first line changed: another digest, another cache entry."""
    first, *rest = transcript.snippets
    return replace(transcript, snippets=[Snippet(f"{n} {first.text}", first.start, first.duration), *rest])


async def test_a_transcript_is_kept_packed_and_read_back_whole() -> None:
    cache = memory_cache(max_keys=10, max_bytes=1 << 20, summary_ttl=60, transcript_ttl=60, negative_ttl=60)
    transcript = recorded(LONG)
    await cache.set_transcript(LANGS, transcript, inline=transcript.digest())
    assert isinstance(cache.backend, BoundedMemoryCache)
    assert 0 < cache.backend.held * 2 < len(orjson.dumps(transcript.to_dict()))  # 113 KB against 312 KB
    assert await cache.get_transcript(LONG, LANGS, inline=transcript.digest()) == transcript
    await cache.close()


async def test_the_oldest_written_go_when_the_values_weigh_more_than_the_bound() -> None:
    cache = BoundedMemoryCache(max_keys=100, max_bytes=250)
    for key in ("a", "b", "c"):
        await cache.set(key, b"x" * 100)
    assert [await cache.exists(k) for k in "abc"] == [False, True, True] and cache.held == 200
    await cache.set("b", b"y" * 100)  # written again: the newest now
    await cache.set("d", b"x" * 100)
    assert [await cache.exists(k) for k in "bcd"] == [True, False, True] and cache.held == 200
    await cache.set("b", b"y" * 10)  # a smaller value
    await cache.delete("d")
    assert cache.held == 10
    await cache.clear()
    assert cache.held == 0


async def test_a_value_gone_with_its_ttl_frees_its_bytes() -> None:
    cache = BoundedMemoryCache(max_keys=100, max_bytes=250)
    await cache.set("short-lived", b"x" * 200, ttl=0.01)
    for _ in range(500):
        if not await cache.exists("short-lived"):
            break
        await asyncio.sleep(0.01)
    assert cache.held == 0
    await cache.set("a", b"x" * 200)
    assert await cache.exists("a")


@asynccontextmanager
async def engine_with(
    overloaded: Callable[[], str | None] = lambda: None, **settings: Any
) -> AsyncIterator[Engine]:
    """An engine that takes jobs and never runs them (it is not started): its queue only fills."""
    engine = Engine.from_settings(
        Settings(_env_file=None, transcript_dir=str(TRANSCRIPTS), redis_url=None, **settings),
        InlineRunner(),
        durable=False,
        overloaded=overloaded,
    )
    try:
        yield engine
    finally:
        await engine.stop()


async def kept(engine: Engine, transcript: Transcript) -> bool:
    """Whether questions about a summary of `transcript` would find it in the cache."""
    return await engine.cache.get_transcript(SHORT, LANGS, inline=transcript.digest()) is not None


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"queue_max": 1}, "busy"),  # the queue is full
        ({"max_jobs_per_requester": 1}, "rate_limited"),  # the requester has a job in flight
        ({"rate_limit": "1/minute"}, "rate_limited"),  # the requester's window is used up
    ],
)
async def test_a_refused_request_caches_nothing(settings: dict[str, Any], code: str) -> None:
    first, second = another(recorded(SHORT), 1), another(recorded(SHORT), 2)
    async with engine_with(**settings) as engine:
        await engine.submit(SHORT, requester="tg:1", transcript=first)
        with pytest.raises(SummaryError) as refused:
            await engine.submit(SHORT, requester="tg:1", transcript=second)
        assert refused.value.code == code
        assert await kept(engine, first) and not await kept(engine, second)


async def test_an_overloaded_server_caches_nothing_it_refuses() -> None:
    transcript = recorded(SHORT)
    async with engine_with(overloaded=lambda: "event loop lag") as engine:
        with pytest.raises(SummaryError) as refused:
            await engine.submit(SHORT, requester="tg:1", transcript=transcript)
        assert refused.value.code == "busy" and not await kept(engine, transcript)


async def test_a_request_joining_the_job_in_flight_keeps_its_transcript() -> None:
    transcript = recorded(SHORT)
    async with engine_with() as engine:
        job, _ = await engine.submit(SHORT, requester="tg:1", transcript=transcript)
        assert isinstance(engine.cache.backend, BoundedMemoryCache)
        await engine.cache.backend.clear()  # TRANSCRIPT_TTL passed, say
        joined, finished = await engine.submit(SHORT, requester="tg:2", transcript=transcript)
        assert joined is job and not finished and await kept(engine, transcript)
