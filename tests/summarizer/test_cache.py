"""The Redis cache against a real `redis-server` (tests/conftest.py starts it on a free port)."""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

import httpx
import orjson
import pytest
import redis
from redis.asyncio.connection import SSLConnection

from api.main import create_app
from core.config import Settings
from summarizer.cache import REDIS_NAMESPACE, SUMMARIZER_VERSION, Cache, redis_cache
from summarizer.cpu_process import InlineRunner
from summarizer.errors import SummaryError
from summarizer.transcripts.folder import FolderSource
from tests.support.data import LONG, SHORT, TRANSCRIPTS
from tests.support.servers import RedisServer, serve

# aiocache 0.12 calls redis-py's `close`, deprecated since redis-py 5.0.1 (for `aclose`).
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

LANGS = ("en",)
SUMMARY = {"title": "t", "language_code": "en", "chunks": [], "tldr": [{"text": "x", "start": 1.0}]}


def new_cache(url: str, backoff: float = 1.0) -> Cache:
    return redis_cache(url, 1 << 20, summary_ttl=3600, transcript_ttl=600, negative_ttl=60, backoff=backoff)


@asynccontextmanager
async def cache_on(url: str, backoff: float = 1.0) -> AsyncIterator[Cache]:
    cache = new_cache(url, backoff)
    try:
        yield cache
    finally:
        await cache.close()


async def eventually(check: Callable[[], Any], what: str) -> None:
    """Wait (bounded) until the async `check()` is truthy."""
    for _ in range(300):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def test_url_gives_host_credentials_db_and_tls() -> None:
    cache = new_cache("rediss://red-abc:s%40cret@kv.example:6380/2?ssl_cert_reqs=none")
    pool = cache.backend.redis.client.connection_pool
    assert pool.connection_class is SSLConnection
    kwargs = pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["db"]) == ("kv.example", 6380, 2)
    assert (kwargs["username"], kwargs["password"], kwargs["ssl_cert_reqs"]) == ("red-abc", "s@cret", "none")


async def test_summaries_transcripts_and_failures_survive_a_new_cache(redis_url: str) -> None:
    transcript = FolderSource(str(TRANSCRIPTS)).fetch(SHORT, LANGS)
    async with cache_on(redis_url) as cache:
        await cache.set_summary(SHORT, LANGS, SUMMARY)
        await cache.set_transcript(LANGS, transcript)
        await cache.set_failure("gone", LANGS, SummaryError("no_transcript", "none"))
        await cache.set_value("tg-lang:1", "de", ttl=60)
    async with cache_on(redis_url) as restarted:  # empty memory layer: all of it comes from Redis
        assert await restarted.get_summary(SHORT, LANGS) == SUMMARY
        assert await restarted.get_transcript(SHORT, LANGS) == transcript
        failure = await restarted.get_failure("gone", LANGS)
        assert failure is not None and failure.code == "no_transcript"
        assert await restarted.get_value("tg-lang:1") == "de"
        assert await restarted.get_summary(SHORT, ("de",)) is None


async def test_values_in_redis_are_zlib_compressed_json_with_their_ttl(redis_url: str) -> None:
    transcript = FolderSource(str(TRANSCRIPTS)).fetch(LONG, LANGS)
    async with cache_on(redis_url) as cache:
        await cache.set_transcript(LANGS, transcript)
    key = f"{REDIS_NAMESPACE}:transcript:v{SUMMARIZER_VERSION}:{LONG}:en"
    with redis.Redis.from_url(redis_url) as client:
        raw = client.get(key)
        ttl = client.ttl(key)
    data = orjson.loads(zlib.decompress(raw))
    assert data["video_id"] == LONG and len(data["snippets"]) == len(transcript.snippets)
    assert len(raw) * 2 < len(orjson.dumps(data)) < len(orjson.dumps(asdict(transcript)))
    assert 0 < ttl <= 600


async def test_first_time_is_atomic_across_instances(redis_url: str) -> None:
    async with cache_on(redis_url) as one, cache_on(redis_url) as two:
        calls = [cache.first_time("tg-update:42", ttl=60) for _ in range(10) for cache in (one, two)]
        assert sorted(await asyncio.gather(*calls)) == [False] * 19 + [True]
        assert await two.first_time("tg-update:43", ttl=60)
        assert not await one.first_time("tg-update:43", ttl=60)


async def test_a_recent_value_is_served_from_memory_without_redis(own_redis: RedisServer) -> None:
    async with cache_on(own_redis.url) as cache:
        await cache.set_summary(SHORT, LANGS, SUMMARY)
        own_redis.kill()
        assert await cache.get_summary(SHORT, LANGS) == SUMMARY
        assert not cache.degraded  # the hit never asked Redis
        assert await cache.get_summary("other", LANGS) is None  # a miss asks Redis, which is gone
        assert cache.degraded


async def test_redis_lost_mid_run_then_back(own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    async with cache_on(own_redis.url, backoff=0.05) as cache:
        await cache.check()
        assert not cache.degraded
        own_redis.kill()
        with caplog.at_level(logging.WARNING, logger="summarizer.cache"):
            for _ in range(5):  # every kind of call keeps working, from memory
                await cache.set_summary(SHORT, LANGS, SUMMARY)
                assert await cache.get_summary(SHORT, LANGS) == SUMMARY
                await cache.set_value("tg-lang:1", "fr")
                assert await cache.get_value("tg-lang:1") == "fr"
                await cache.check()
            assert await cache.first_time("tg-update:1", ttl=60)
            assert not await cache.first_time("tg-update:1", ttl=60)
        assert cache.degraded
        assert [r.getMessage().startswith("Redis unreachable") for r in caplog.records] == [True]

        own_redis.start()

        async def recovered() -> bool:
            await cache.check()
            return not cache.degraded

        await eventually(recovered, "the cache leaves degraded mode")
        await cache.set_summary("after", LANGS, SUMMARY)
    async with cache_on(own_redis.url) as restarted:
        assert await restarted.get_summary("after", LANGS) == SUMMARY


async def test_no_redis_call_inside_the_backoff_window(own_redis: RedisServer) -> None:
    async with cache_on(own_redis.url, backoff=3600) as cache:
        own_redis.kill()
        await cache.check()
        assert cache.degraded
        own_redis.start()
        await cache.check()
        assert await cache.get_summary("missing", LANGS) is None
        assert cache.degraded  # Redis is back, but it is not asked before the window has passed


@asynccontextmanager
async def app_on(redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(redis_url=redis_url, transcript_dir=str(TRANSCRIPTS)), InlineRunner())
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        yield client


async def summarize(client: httpx.AsyncClient, video_id: str) -> dict[str, Any]:
    """POST the video and wait until its job is done; the finished job."""
    response = await client.post("/v1/summaries", json={"url": video_id})
    assert response.status_code in (200, 202), response.text
    job: dict[str, Any] = response.json()

    async def done() -> bool:
        nonlocal job
        job = (await client.get(f"/v1/summaries/{job['id']}")).json()
        status: str = job["status"]
        return status == "done"

    await eventually(done, f"the job for {video_id} is done")
    return job


async def test_a_summary_made_by_one_instance_is_served_by_another(redis_url: str) -> None:
    async with app_on(redis_url) as first:
        made = await summarize(first, SHORT)
    async with app_on(redis_url) as second:
        response = await second.post("/v1/summaries", json={"url": f"https://youtu.be/{SHORT}"})
    assert response.status_code == 200
    served = response.json()
    assert served["status"] == "done" and served["id"] != made["id"]
    assert (served["chunks"], served["tldr"]) == (made["chunks"], made["tldr"])


async def test_the_service_keeps_answering_without_redis_and_recovers(own_redis: RedisServer) -> None:
    async with app_on(own_redis.url) as client:
        assert (await client.get("/readyz")).json()["degraded"] == []
        own_redis.kill()
        job = await summarize(client, SHORT)
        assert job["tldr"]
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "degraded" and "redis" in ready["degraded"]
        again = await client.post("/v1/summaries", json={"url": SHORT})
        assert again.status_code == 200  # from the memory layer

        own_redis.start()

        async def ready_again() -> bool:
            status: str = (await client.get("/readyz")).json()["status"]
            return status == "ok"

        await eventually(ready_again, "/readyz is ok again")
