"""Finished summaries, fetched transcripts and short-lived failures, cached with aiocache.

Memory by default (bounded); `REDIS_URL` switches the backend to Redis. Values are stored as
orjson bytes: a 3.5-hour transcript is 0.5 MB as JSON but several MB as Python objects.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import orjson
from aiocache import SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer

from summarizer.errors import SummaryError
from summarizer.models import Snippet, Transcript

# Bump when the summarizing code changes its output, so old cached summaries are not served.
SUMMARIZER_VERSION = "1"

# Only these failures are facts about the video worth remembering for a while;
# `blocked`, `timeout` and friends are about this server's luck and may pass.
NEGATIVE_CODES = frozenset({"no_transcript", "transcripts_disabled"})


class OrjsonSerializer(BaseSerializer):
    """aiocache serializer for JSON-able values, as bytes."""

    DEFAULT_ENCODING = None

    def dumps(self, value: Any) -> bytes:
        return orjson.dumps(value)

    def loads(self, value: bytes | None) -> Any:
        return None if value is None else orjson.loads(value)


class BoundedMemoryCache(SimpleMemoryCache):
    """aiocache's memory cache with at most `max_keys` entries, the oldest written dropped first."""

    def __init__(self, max_keys: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_keys = max_keys

    async def _set(self, key, value, ttl=None, _cas_token=None, _conn=None):  # type: ignore[no-untyped-def]
        self._cache.pop(key, None)  # re-insert at the end: dicts keep insertion order
        result = await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)
        while len(self._cache) > self._max_keys:
            await self._delete(next(iter(self._cache)))
        return result


def languages_key(languages: tuple[str, ...]) -> str:
    return ",".join(languages) or "-"


class Cache:
    """Typed access to the cached summaries, transcripts and negative results."""

    def __init__(
        self,
        backend: BaseCache,
        summary_ttl: int,
        transcript_ttl: int,
        negative_ttl: int,
    ) -> None:
        self.backend = backend
        self._summary_ttl = summary_ttl
        self._transcript_ttl = transcript_ttl
        self._negative_ttl = negative_ttl

    @staticmethod
    def _key(kind: str, video_id: str, languages: tuple[str, ...]) -> str:
        return f"{kind}:v{SUMMARIZER_VERSION}:{video_id}:{languages_key(languages)}"

    async def get_summary(self, video_id: str, languages: tuple[str, ...]) -> dict[str, Any] | None:
        return await self.backend.get(self._key("summary", video_id, languages))

    async def set_summary(self, video_id: str, languages: tuple[str, ...], summary: dict[str, Any]) -> None:
        await self.backend.set(self._key("summary", video_id, languages), summary, ttl=self._summary_ttl)

    async def get_transcript(self, video_id: str, languages: tuple[str, ...]) -> Transcript | None:
        data = await self.backend.get(self._key("transcript", video_id, languages))
        if data is None:
            return None
        snippets = [Snippet(*s) for s in data.pop("snippets")]
        return Transcript(snippets=snippets, **data)

    async def set_transcript(self, languages: tuple[str, ...], transcript: Transcript) -> None:
        data = asdict(transcript)
        # Snippets as [text, start, duration] triples: a third smaller than objects with keys.
        data["snippets"] = [(s.text, s.start, s.duration) for s in transcript.snippets]
        key = self._key("transcript", transcript.video_id, languages)
        await self.backend.set(key, data, ttl=self._transcript_ttl)

    async def get_failure(self, video_id: str, languages: tuple[str, ...]) -> SummaryError | None:
        data = await self.backend.get(self._key("failure", video_id, languages))
        return None if data is None else SummaryError(data["code"], data["message"])

    async def set_failure(self, video_id: str, languages: tuple[str, ...], error: SummaryError) -> None:
        if error.code in NEGATIVE_CODES:
            key = self._key("failure", video_id, languages)
            await self.backend.set(key, error.to_dict(), ttl=self._negative_ttl)

    async def first_time(self, key: str, ttl: int) -> bool:
        """Record `key` for `ttl` seconds; True only the first time (webhook redelivery dedup)."""
        try:
            await self.backend.add(f"seen:{key}", 1, ttl=ttl)
        except ValueError:  # aiocache's answer for a key that exists
            return False
        return True

    async def get_value(self, key: str) -> Any:
        """A small piece of state kept for a chat or user (e.g. its preferred language)."""
        return await self.backend.get(f"value:{key}")

    async def set_value(self, key: str, value: Any, ttl: int | None = None) -> None:
        await self.backend.set(f"value:{key}", value, ttl=ttl)

    async def close(self) -> None:
        await self.backend.close()


def memory_cache(max_keys: int, summary_ttl: int, transcript_ttl: int, negative_ttl: int) -> Cache:
    # timeout=None: aiocache otherwise wraps every call of a dict lookup in `asyncio.wait_for`, a new task each.
    backend = BoundedMemoryCache(max_keys, serializer=OrjsonSerializer(), timeout=None)
    return Cache(backend, summary_ttl, transcript_ttl, negative_ttl)
