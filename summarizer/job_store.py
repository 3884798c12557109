"""Job state checkpointed in Redis (with `REDIS_URL`), so jobs are found by any process and survive restarts.

Keys (docs/redis.md): `job:<id>` a hash — `state` (the request, status, finished chunks, TL;DR, error,
callbacks) and, while the job is live, `transcript` (an inline transcript), both zlib-compressed orjson;
no TTL while the job is live (the `volatile-lru` policy never evicts it), `ttl` seconds once finished.
`jobs:live` is the set of live job ids; `job:<id>:lease` holds the owning process's token with a short
TTL, renewed by a heartbeat: a live job whose lease has expired lost its process and is resumed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import asdict
from typing import Any

import redis.asyncio as redis
from redis.exceptions import RedisError

from summarizer.cache import REDIS_CONNECT_TIMEOUT, REDIS_SOCKET_TIMEOUT, pack, unpack
from summarizer.errors import SummaryError
from summarizer.jobs import Delivery, Job, JobStatus, chunk_from_dict, chunk_to_dict
from summarizer.models import Transcript

log = logging.getLogger(__name__)

LIVE = "jobs:live"


def job_key(job_id: str) -> str:
    return f"job:{job_id}"


def lease_key(job_id: str) -> str:
    return f"job:{job_id}:lease"


def job_state(job: Job) -> dict[str, Any]:
    """Everything about `job` but its inline transcript and the partial chunk being written."""
    return {
        "id": job.id,
        "video_id": job.video_id,
        "languages": job.languages,
        "requester": job.requester,
        "summarizer": job.summarizer,
        "output_language": job.output_language,
        "status": job.status.value,
        "title": job.title,
        "language_code": job.language_code,
        "total": job.total,
        "chunks": [chunk_to_dict(c) for c in job.chunks],
        "tldr": job.tldr,
        "tldr_source": job.tldr_source,
        "error": job.error.to_dict() if job.error else None,
        "callbacks": [asdict(d) for d in job.callbacks],
        "created_at": job.created_at,
    }


def job_from_state(state: dict[str, Any], transcript: Transcript | None = None) -> Job:
    error = state["error"]
    return Job(
        video_id=state["video_id"],
        languages=tuple(state["languages"]),
        requester=state["requester"],
        transcript=transcript,
        id=state["id"],
        status=JobStatus(state["status"]),
        title=state["title"],
        language_code=state["language_code"],
        total=state["total"],
        chunks=[chunk_from_dict(c) for c in state["chunks"]],
        tldr=state["tldr"],
        tldr_source=state["tldr_source"],
        error=SummaryError(error["code"], error["message"]) if error else None,
        callbacks=[Delivery(**d) for d in state["callbacks"]],
        summarizer=state["summarizer"],
        output_language=state["output_language"],
        created_at=state["created_at"],
    )


class RedisJobStore:
    """Writes every job it tracks to Redis as it changes and holds the leases of this process's live jobs.

    Redis failures are logged (once per outage) and otherwise ignored: the job goes on in memory, unsaved.
    """

    def __init__(self, url: str, ttl: int, lease: float) -> None:
        self._redis = redis.from_url(
            url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT
        )
        self._ttl = ttl
        self._lease_ms = int(lease * 1000)
        self._owner = secrets.token_hex(8)
        self._trackers: dict[str, asyncio.Task[None]] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._down = False

    def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._renew_leases(), name="job-leases")

    async def close(self) -> None:
        """Stop following jobs, checkpoint the live ones and give up their leases (the next process resumes
        them at once), then disconnect."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        trackers, self._trackers = self._trackers, {}
        for task in trackers.values():
            task.cancel()
        await asyncio.gather(*trackers.values(), return_exceptions=True)
        await self._safely(self._release, list(trackers))
        await self._redis.aclose()

    def track(self, job: Job) -> None:
        """Checkpoint `job` now and after each change until it is finished (its lease is held meanwhile)."""
        if job.id not in self._trackers:
            self._trackers[job.id] = asyncio.create_task(self._follow(job), name=f"checkpoint-{job.id}")

    async def load(self, job_id: str) -> Job | None:
        """The job as last checkpointed (by any process), or None."""
        return await self._safely(self._load, job_id)

    async def claim_orphans(self) -> list[Job]:
        """The live jobs no process holds a lease on, now leased to this one (to be run again)."""
        return await self._safely(self._claim_orphans) or []

    async def _follow(self, job: Job) -> None:
        saved = None
        try:
            async for current in job.changes():
                assert current is not None
                # Only the partial chunk (not saved) may have changed: a model streams it many times a second.
                if (shown := (current.status, len(current.chunks), current.total)) != saved:
                    saved = shown
                    await self._safely(self._save, current)
        finally:
            if job.finished:
                self._trackers.pop(job.id, None)
            else:  # cancelled by `close`: the last state goes out there
                await self._safely(self._save, job)

    async def _save(self, job: Job) -> None:
        key = job_key(job.id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "state", pack(job_state(job)))
            if job.finished:
                pipe.hdel(key, "transcript")
                pipe.expire(key, self._ttl)
                pipe.srem(LIVE, job.id)
                pipe.delete(lease_key(job.id))
            else:
                if job.transcript is not None:
                    pipe.hsetnx(key, "transcript", pack(job.transcript.to_dict()))
                pipe.sadd(LIVE, job.id)
                pipe.set(lease_key(job.id), self._owner, px=self._lease_ms)
            await pipe.execute()

    async def _load(self, job_id: str) -> Job | None:
        state, transcript = await self._redis.hmget(job_key(job_id), ["state", "transcript"])
        if state is None:
            return None
        return job_from_state(unpack(state), Transcript.from_dict(unpack(transcript)) if transcript else None)

    async def _claim_orphans(self) -> list[Job]:
        jobs = []
        for raw_id in await self._redis.smembers(LIVE):
            job_id = raw_id.decode()
            if not await self._redis.set(lease_key(job_id), self._owner, nx=True, px=self._lease_ms):
                continue  # a live process holds it
            job = await self._load(job_id)
            if job is None or job.finished:
                await self._redis.srem(LIVE, job_id)
                await self._redis.delete(lease_key(job_id))
                continue
            jobs.append(job)
        return jobs

    async def _renew_leases(self) -> None:
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            if self._trackers:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for job_id in self._trackers:
                        pipe.set(lease_key(job_id), self._owner, px=self._lease_ms)
                    await self._safely(pipe.execute)

    async def _release(self, job_ids: list[str]) -> None:
        for job_id in job_ids:
            if await self._redis.get(lease_key(job_id)) == self._owner.encode():
                await self._redis.delete(lease_key(job_id))

    async def _safely(self, call: Any, *args: Any) -> Any:
        try:
            result = await call(*args)
        except (RedisError, OSError) as error:
            if not self._down:
                log.warning("job state in Redis unavailable (%s): jobs go on in memory, unsaved", error)
                self._down = True
            return None
        if self._down:
            log.warning("Redis is reachable again: job state is saved again")
            self._down = False
        return result
