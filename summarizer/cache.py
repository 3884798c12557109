"""Finished summaries, fetched transcripts and short-lived failures, cached with aiocache.

Every value is kept packed, as zlib-compressed orjson bytes (`pack`): in memory by default, bounded by
`CACHE_MAX_KEYS` entries and `CACHE_MAX_BYTES`, the oldest written dropped first; with `REDIS_URL` in Redis
(aiocache's Redis backend) behind a small memory layer (`RedisLayers`) holding the same bytes. Measured on
tests/data/transcripts (zlib level 6): the 3.5-hour transcript cdiD-9MMpb0 312 KB of orjson -> 113 KB (2.75x,
11 ms CPU to compress, 1 ms to decompress; 1.1 MB as a `Transcript` of Python objects, tracemalloc); its
summary 32.5 KB -> 10.2 KB (3.2x); the 26-minute eMlx5fFNoYc summary 5.4 KB -> 1.9 KB.

Transcripts sent in (a REST `transcript` or `subtitles`, a chat's file) are cached too, for questions about
their summaries. The process's resident memory grew by 14.8 MB for 50 distinct 3.5-hour ones kept as orjson,
6.8 MB packed; by 120 MB for 50 of the largest accepted (2 M characters), 45 MB packed; by 357 MB for 150 of
those, 73 MB with 82 of them kept under `CACHE_MAX_BYTES` (64 MiB)
(`.venv/bin/python benchmarks/cache_memory.py --count 50 [--largest]`, VmRSS).
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from core.logs import error_text
from core.telemetry import cache_lookup
from summarizer.aiocache_lite import BaseCache, NullSerializer, SimpleMemoryCache
from summarizer.errors import SummaryError
from summarizer.models import Transcript

log = logging.getLogger(__name__)

# Bump when the summarizing code changes its output, so old cached summaries are not served.
SUMMARIZER_VERSION = "2"  # 2: readable points, topics, chunk titles, TL;DR points, no ads

# Only these failures are facts about the video worth remembering for a while;
# `blocked`, `timeout` and friends are about this server's luck and may pass.
NEGATIVE_CODES = frozenset({"no_transcript", "transcripts_disabled"})

# The memory layer in front of Redis: a hit there costs no round trip. Short-lived, so another
# instance's writes (a chat's language) show here within a minute.
MEMORY_LAYER_KEYS = 256
MEMORY_LAYER_TTL = 60
# Redis calls give up fast, and after a failure Redis is tried again only after a backoff.
REDIS_CONNECT_TIMEOUT = 1.0
REDIS_SOCKET_TIMEOUT = 2.0
REDIS_BACKOFF = 1.0  # seconds, doubled after each failed retry ...
REDIS_MAX_BACKOFF = 30.0  # ... up to this
REDIS_NAMESPACE = "cache"  # every cache key in Redis starts with "cache:"


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]  # aiocache has no type information
    """aiocache's memory cache of bytes, at most `max_keys` entries of `max_bytes` in all (`held`), the oldest
    written dropped first."""

    def __init__(self, max_keys: int, max_bytes: int) -> None:
        # timeout=None: aiocache otherwise wraps every dict lookup in `asyncio.wait_for`, a new task each:
        # 10.2 -> 2.0 µs of CPU per get (20,000 gets, time.process_time, one core).
        super().__init__(serializer=NullSerializer(encoding=None), timeout=None)
        self._max_keys = max_keys
        self._max_bytes = max_bytes
        self.held = 0  # bytes of the values

    async def _set(self, key, value, ttl=None, _cas_token=None, _conn=None):  # type: ignore[no-untyped-def]
        self.held -= len(self._cache.pop(key, b""))  # re-inserted at the end: dicts keep insertion order
        result = await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)
        self.held += len(value)
        while len(self._cache) > self._max_keys or self.held > self._max_bytes:
            await self._delete(next(iter(self._cache)))
        return result

    def _SimpleMemoryBackend__delete(self, key: str) -> int:
        """aiocache's one way out of the cache (delete, TTL expiry), private: aiocache is pinned (0.12.3)."""
        self.held -= len(self._cache.get(key, b""))
        return int(super()._SimpleMemoryBackend__delete(key))

    async def _clear(self, namespace=None, _conn=None):  # type: ignore[no-untyped-def]
        result = await super()._clear(namespace, _conn=_conn)
        self.held = sum(map(len, self._cache.values()))  # all of it went, or (namespace) each one deleted
        return result


def pack(value: Any) -> bytes:
    """A value as the cache and Redis keep it: orjson bytes, zlib-compressed."""
    return zlib.compress(orjson.dumps(value))


def unpack(data: bytes) -> Any:
    return orjson.loads(zlib.decompress(data))


_DOWN = object()  # what `RedisLayers._redis` returns when Redis was not (or could not be) asked


class RedisLayers:
    """Redis behind a small memory layer; keeps serving from memory while Redis is unreachable.

    Both layers hold the same packed bytes. Reads try memory, then Redis (a Redis hit is kept in memory
    for `MEMORY_LAYER_TTL`); writes go to both. A failed Redis call sets `degraded` (one warning per
    outage); memory then keeps writes for their full TTL, and Redis is asked again only once a backoff
    window has passed (`backoff` seconds, doubled after each failed retry up to `max_backoff`).
    """

    def __init__(
        self,
        redis: BaseCache,
        memory: BaseCache,
        backoff: float = REDIS_BACKOFF,
        max_backoff: float = REDIS_MAX_BACKOFF,
    ) -> None:
        from redis.exceptions import RedisError  # redis-py only with REDIS_URL (summarizer/aiocache_lite.py)

        self._errors = (RedisError, OSError)  # OSError covers connection refused and timeouts
        self.redis = redis
        self.memory = memory
        self.degraded = False
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._delay = backoff
        self._retry_at = 0.0

    async def _redis(self, call: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """`call`'s result, or `_DOWN` when Redis failed or is inside its backoff window."""
        if self.degraded and time.monotonic() < self._retry_at:
            return _DOWN
        try:
            result = await call(*args, **kwargs)
        except self._errors as error:
            self._failed(error)
            return _DOWN
        if self.degraded:
            log.warning("Redis is reachable again: the cache is shared again")
            self.degraded = False
            self._delay = self._backoff
        return result

    def _failed(self, error: Exception) -> None:
        now = time.monotonic()
        if not self.degraded:
            log.warning(
                "Redis unreachable (%s): serving from memory, retrying with backoff", error_text(error)
            )
            self.degraded = True
            self._delay = self._backoff
        elif now >= self._retry_at:  # a retry failed (not one of the calls already in flight)
            self._delay = min(self._delay * 2, self._max_backoff)
        else:
            return
        self._retry_at = now + self._delay

    async def check(self) -> None:
        """Ping Redis (unless inside a backoff window), so that `degraded` is current."""
        await self._redis(self.redis.raw, "ping")

    async def get(self, key: str) -> bytes | None:
        data: bytes | None = await self.memory.get(key)
        if data is None:
            data = await self._redis(self.redis.get, key)
            if data is _DOWN or data is None:
                return None
            await self.memory.set(key, data, ttl=MEMORY_LAYER_TTL)
        return data

    async def set(self, key: str, data: bytes, ttl: int | None = None) -> None:
        shared = await self._redis(self.redis.set, key, data, ttl=ttl) is not _DOWN
        memory_ttl = min(ttl or MEMORY_LAYER_TTL, MEMORY_LAYER_TTL) if shared else ttl
        await self.memory.set(key, data, ttl=memory_ttl)

    async def add(self, key: str, data: bytes, ttl: int | None = None) -> None:
        """Store `key` only if it is new (SET NX EX in Redis, memory while degraded); else ValueError."""
        if await self._redis(self.redis.add, key, data, ttl=ttl) is _DOWN:
            await self.memory.add(key, data, ttl=ttl)

    async def close(self) -> None:
        await self.redis.close()
        await self.memory.close()


def languages_key(languages: tuple[str, ...]) -> str:
    return ",".join(languages) or "-"


class Cache:
    """Typed access to the cached summaries, transcripts and negative results, packed for `backend`."""

    def __init__(
        self,
        backend: BaseCache | RedisLayers,
        summary_ttl: int,
        transcript_ttl: int,
        negative_ttl: int,
    ) -> None:
        self.backend = backend
        self._summary_ttl = summary_ttl
        self._transcript_ttl = transcript_ttl
        self._negative_ttl = negative_ttl

    @property
    def degraded(self) -> bool:
        """True while the configured Redis is unreachable (the cache then works from memory)."""
        return isinstance(self.backend, RedisLayers) and self.backend.degraded

    async def check(self) -> None:
        """Ask Redis, if any, whether it is reachable (updates `degraded`)."""
        if isinstance(self.backend, RedisLayers):
            await self.backend.check()

    async def _get(self, key: str) -> Any:
        data = await self.backend.get(key)
        return None if data is None else unpack(data)

    async def _set(self, key: str, value: Any, ttl: int | None) -> None:
        await self.backend.set(key, pack(value), ttl=ttl)

    @staticmethod
    def _key(kind: str, video_id: str, languages: tuple[str, ...]) -> str:
        return f"{kind}:v{SUMMARIZER_VERSION}:{video_id}:{languages_key(languages)}"

    @classmethod
    def _summary_key(cls, video_id: str, languages: tuple[str, ...], variant: str) -> str:
        """Extractive summaries keep their old keys; others (e.g. `llm:<model>|de`) are named in the key."""
        kind = "summary" if variant == "extractive" else f"summary[{variant}]"
        return cls._key(kind, video_id, languages)

    async def get_summary(
        self, video_id: str, languages: tuple[str, ...], variant: str = "extractive"
    ) -> dict[str, Any] | None:
        summary: dict[str, Any] | None = await self._get(self._summary_key(video_id, languages, variant))
        cache_lookup("summary", summary)
        return summary

    async def set_summary(
        self, video_id: str, languages: tuple[str, ...], summary: dict[str, Any], variant: str = "extractive"
    ) -> None:
        await self._set(self._summary_key(video_id, languages, variant), summary, self._summary_ttl)

    @classmethod
    def _transcript_key(
        cls, video_id: str, languages: tuple[str, ...], translate_to: str | None, inline: str | None
    ) -> str:
        """A translated transcript (`>de`: translated into German when needed) is another transcript; so is
        one a user or client sent (`inline`, its digest: `Job.inline`), never the video's."""
        kind = "transcript" if translate_to is None else f"transcript>{translate_to}"
        return cls._key(kind if inline is None else f"{kind}[inline:{inline}]", video_id, languages)

    async def get_transcript(
        self,
        video_id: str,
        languages: tuple[str, ...],
        translate_to: str | None = None,
        inline: str | None = None,
    ) -> Transcript | None:
        data = await self._get(self._transcript_key(video_id, languages, translate_to, inline))
        cache_lookup("transcript", data)
        return None if data is None else Transcript.from_dict(data)

    async def set_transcript(
        self,
        languages: tuple[str, ...],
        transcript: Transcript,
        translate_to: str | None = None,
        inline: str | None = None,
    ) -> None:
        key = self._transcript_key(transcript.video_id, languages, translate_to, inline)
        # Packed in a thread: a 3.5 h transcript takes 11 ms of CPU to compress, >110 ms of the event loop at
        # 0.1 CPU. Busy-ack p99 with Redis (benchmarks/run.py --redis), Telegram / Discord: 557 / 308 ms
        # before, 86.9 / 203 ms after (docs/benchmarks-redis.md).
        data = await asyncio.to_thread(lambda: pack(transcript.to_dict()))
        await self.backend.set(key, data, ttl=self._transcript_ttl)

    async def get_failure(self, video_id: str, languages: tuple[str, ...]) -> SummaryError | None:
        data = await self._get(self._key("failure", video_id, languages))
        cache_lookup("failure", data)
        return None if data is None else SummaryError(data["code"], data["message"])

    async def set_failure(self, video_id: str, languages: tuple[str, ...], error: SummaryError) -> None:
        if error.code in NEGATIVE_CODES:
            await self._set(self._key("failure", video_id, languages), error.to_dict(), self._negative_ttl)

    async def first_time(self, key: str, ttl: int) -> bool:
        """Record `key` for `ttl` seconds; True only the first time (webhook redelivery dedup).

        Atomic across instances sharing a Redis (SET NX EX)."""
        try:
            await self.backend.add(f"seen:{key}", pack(1), ttl=ttl)
        except ValueError:  # aiocache's answer for a key that exists
            return False
        return True

    async def get_value(self, key: str) -> Any:
        """A small piece of state kept for a chat or user (e.g. its preferred language)."""
        return await self._get(f"value:{key}")

    async def set_value(self, key: str, value: Any, ttl: int | None = None) -> None:
        await self._set(f"value:{key}", value, ttl)

    async def close(self) -> None:
        await self.backend.close()


def memory_cache(
    max_keys: int, max_bytes: int, summary_ttl: int, transcript_ttl: int, negative_ttl: int
) -> Cache:
    return Cache(BoundedMemoryCache(max_keys, max_bytes), summary_ttl, transcript_ttl, negative_ttl)


def redis_cache(
    url: str,
    max_bytes: int,
    summary_ttl: int,
    transcript_ttl: int,
    negative_ttl: int,
    backoff: float = REDIS_BACKOFF,
) -> Cache:
    """A cache on the Redis at `url` (`redis://` or `rediss://` for TLS; user, password, db, query
    options as redis-py reads them), its memory layer holding at most `max_bytes`. Nothing connects before
    the first call."""
    from aiocache.backends.redis import RedisCache  # imports redis-py (summarizer/aiocache_lite.py)
    from redis.asyncio.connection import parse_url

    options: dict[str, Any] = dict(parse_url(url))
    bytes_as_they_are = NullSerializer(encoding=None)  # values are packed before they reach aiocache
    redis = RedisCache(
        serializer=bytes_as_they_are,
        namespace=REDIS_NAMESPACE,
        timeout=None,  # the socket timeouts below bound each call
        endpoint=options.pop("host", "localhost"),
        port=options.pop("port", 6379),
        db=options.pop("db", 0),
        password=options.pop("password", None),
        create_connection_timeout=REDIS_CONNECT_TIMEOUT,
        # The rest: username, TLS (connection_class) and the URL's query options.
        connection_pool_kwargs={"socket_timeout": REDIS_SOCKET_TIMEOUT, **options},
    )
    memory = BoundedMemoryCache(MEMORY_LAYER_KEYS, max_bytes)
    return Cache(RedisLayers(redis, memory, backoff=backoff), summary_ttl, transcript_ttl, negative_ttl)
