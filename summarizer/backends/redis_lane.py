"""The residential lane (with `REDIS_URL`): jobs that YouTube refused here go to workers on a home connection.

YouTube refuses most cloud hosts (docs/free-tier.md). A worker started with `python -m summarizer worker
--lane residential` on a machine whose connection YouTube serves (a home machine, a Raspberry Pi), connected
to the same Redis, takes only such jobs. The process whose fetch was `blocked` hands the job over instead of
failing it, when a lane worker was seen within `RESIDENTIAL_WAIT_SECONDS` (a deployment without one fails
at once, as before); the job then waits up to that long for a lane worker to take it, and fails with a clear
message when none does.

Keys (redis_keys.py, docs/redis.md): `lane:residential:workers`, a sorted set of the lane's workers by when
each was last seen; `lane:residential:deadlines`, the ids of the jobs handed over, by when their wait ends;
arq's `arq:queue:residential`, the entries the lane's workers take.
"""

from __future__ import annotations

import time

from redis.asyncio import Redis

from summarizer.backends.redis_errors import reachable
from summarizer.backends.redis_keys import lane_deadlines_key, lane_queue, lane_workers_key, queue_entry
from summarizer.errors import SummaryError

RESIDENTIAL = "residential"


class Lane:
    """One lane's bookkeeping in Redis: its workers' presence and the deadlines of the jobs waiting for them.

    `redis` is an asyncio Redis client; its errors reach the caller as `RedisUnavailable` (a
    `ConnectionError`, redis_errors.py: the backend treats them as Redis being down)."""

    def __init__(self, redis: Redis, name: str, wait_seconds: float) -> None:
        self._redis = redis
        self.name = name
        self.wait_seconds = wait_seconds
        self.queue = lane_queue(name)
        self._workers = lane_workers_key(name)
        self._deadlines = lane_deadlines_key(name)

    def entry(self, job_id: str) -> str:
        """The queue entry (arq job id) of `job_id` handed to the lane."""
        return queue_entry(job_id, self.name)

    @reachable
    async def announce(self, worker: str) -> None:
        """`worker` (a process token) serves the lane now; workers not seen for a day are forgotten."""
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self._workers, {worker: now})
            pipe.zremrangebyscore(self._workers, "-inf", now - 86400)
            await pipe.execute()

    @reachable
    async def served(self) -> bool:
        """Whether a worker of the lane was seen within the wait: then a job handed over is likely taken."""
        seen = await self._redis.zcount(self._workers, time.time() - self.wait_seconds, "+inf")
        return bool(seen)

    @reachable
    async def waits(self, job_id: str) -> None:
        """`job_id` was handed to the lane: its wait ends `wait_seconds` from now."""
        await self._redis.zadd(self._deadlines, {job_id: time.time() + self.wait_seconds})

    @reachable
    async def taken(self, job_id: str) -> None:
        """A worker of the lane took `job_id`: it no longer waits."""
        await self._redis.zrem(self._deadlines, job_id)

    @reachable
    async def overdue(self) -> list[str]:
        """Ids of the jobs whose wait has ended without a worker of the lane taking them."""
        return [raw.decode() for raw in await self._redis.zrangebyscore(self._deadlines, "-inf", time.time())]

    @reachable
    async def forget(self, job_id: str) -> None:
        """`job_id` no longer waits, and its queue entry is withdrawn."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self._deadlines, job_id)
            pipe.zrem(self.queue, self.entry(job_id))
            await pipe.execute()

    def gave_up(self) -> SummaryError:
        """The error of a job no worker of the lane took in time."""
        wait = self.wait_seconds
        waited = f"{wait:.0f} s" if wait < 90 else f"{wait / 60:.0f} min"
        return SummaryError(
            "blocked",
            "YouTube is refusing this server's requests, and the residential worker that fetches transcripts "
            f"for it did not take this video within {waited} (is it running?). Please try again later.",
        )
