"""The job queue shared by all processes (with `REDIS_URL`): arq on Redis, with admission across processes.

Admission is one Lua script, so it holds across any number of web processes: a job whose key is already in
flight is joined (single-flight), a requester may have `max_per_requester` jobs in flight, and at most
`maxsize` jobs wait. The admitted job's id then goes to arq; every process that runs a worker (the web
process by default, or `python -m summarizer worker` on any machine) takes jobs from there. A worker of a
lane (`--lane residential`, redis_lane.py) takes only the entries handed to that lane, from its own arq queue.

Keys (redis_keys.py, docs/redis.md): `flight:<job key>` → the id of the job in flight for it;
`requester:<who>`, the ids of their jobs in flight; `jobs:waiting`, the ids of admitted jobs no worker has
started; arq's own `arq:*`.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Worker
from arq.connections import ArqRedis
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus as ArqStatus
from arq.worker import func
from redis.exceptions import RedisError

from core.logs import error_text
from core.tasks import cancel
from core.telemetry import JOBS_REFUSED
from summarizer.backends.redis_errors import reachable
from summarizer.backends.redis_keys import (
    QUEUE,
    SUMMARIZE,
    WAITING,
    entry_queue,
    flight_key,
    lane_queue,
    queue_entry,
    requester_key,
)
from summarizer.backends.redis_lane import Lane
from summarizer.cache import REDIS_CONNECT_TIMEOUT, REDIS_SOCKET_TIMEOUT
from summarizer.errors import SummaryError
from summarizer.jobs import Job

log = logging.getLogger(__name__)

# KEYS: flight, requester's set, waiting set. ARGV: job id, per-requester cap, queue bound, TTL of the
# bookkeeping (it outlives any job; a process that died mid-job cannot leave a requester blocked for good).
_ADMIT = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
local waiting = redis.call('SCARD', KEYS[3])
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then return '!rate_limited:' .. waiting end
if waiting >= tonumber(ARGV[3]) then return '!busy:' .. waiting end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('SADD', KEYS[3], ARGV[1])
return ARGV[1]
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
"""


def _connect(url: str) -> ArqRedis:
    pool: ArqRedis = ArqRedis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT
    )
    return pool


def _keys(job: Job) -> list[str]:
    return [flight_key(job.key), requester_key(job.requester), WAITING]


class SharedQueue:
    """Admits jobs across processes, hands them to arq, and (with `start_worker`) runs some of them here.

    Its calls raise `RedisUnavailable` (a `ConnectionError`, redis_errors.py) when Redis is unreachable: the
    engine then uses its in-process queue instead. With `lane`, its worker takes that lane's entries only.
    """

    def __init__(
        self,
        url: str,
        maxsize: int,
        max_per_requester: int,
        concurrency: int,
        job_timeout: float,
        poll_delay: float,
        retry_after: Callable[[int], int],
        lane: str | None = None,
    ) -> None:
        self._url = url
        self._worker_queue = lane_queue(lane) if lane else QUEUE
        self._redis = _connect(url)
        self._admit = self._redis.register_script(_ADMIT)
        self._release = self._redis.register_script(_RELEASE)
        self._maxsize = maxsize
        self._max_per_requester = max_per_requester
        self._concurrency = concurrency
        self._job_timeout = job_timeout
        self._bookkeeping_ttl = int(job_timeout * 4)
        self._poll_delay = poll_delay
        self._retry_after = retry_after
        self._worker: Worker | None = None
        self._task: asyncio.Task[None] | None = None
        self._offers: set[asyncio.Task[None]] = set()

    @reachable
    async def admit(self, job: Job) -> str:
        """`job.id` when `job` is admitted, else the id of the job in flight with the same key.

        Raises `SummaryError("rate_limited")` or `SummaryError("busy")` (with `retry_after`).
        """
        args: list[str | int] = [job.id, self._max_per_requester, self._maxsize, self._bookkeeping_ttl]
        answer: str = (await self._admit(keys=_keys(job), args=args)).decode()
        if answer.startswith("!"):
            code, waiting = answer[1:].split(":")
            JOBS_REFUSED.labels(code).inc()
            raise SummaryError(code, retry_after=self._retry_after(int(waiting)))
        return answer

    @reachable
    async def enqueue(self, job_id: str, attempt: str = "0", lane: Lane | None = None) -> str:
        """Hand `job_id` to the workers (of `lane`, for `wait_seconds`); each `attempt` of one job is a
        separate arq job, whose id this is."""
        entry = lane.entry(job_id) if lane else queue_entry(job_id, attempt)
        options: dict[str, Any] = {"_queue_name": lane.queue, "_expires": lane.wait_seconds} if lane else {}
        await self._redis.enqueue_job(SUMMARIZE, job_id, _job_id=entry, **options)
        if self._worker is not None and entry_queue(entry) == self._worker_queue:
            # Offer it to this process's worker now rather than at its next poll (arq checks that a slot is
            # free and that no other worker took it). Request → first chunk at 0.1 CPU, median: short video
            # 0.83 → 0.29 s, medium 0.70 → 0.35 s (0.22 / 0.29 s without Redis; benchmarks/run.py --quick).
            task = asyncio.create_task(self._worker.start_jobs([entry.encode()]), name=f"offer-{entry}")
            self._offers.add(task)
            task.add_done_callback(self._offers.discard)
        return entry

    @reachable
    async def readmit(self, job: Job) -> None:
        """Count `job`, admitted once, in flight again where Redis lost that (it restarted empty): its key's
        single-flight (unless another job holds it now) and its requester's jobs."""
        flight, requester, _ = _keys(job)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(flight, job.id, nx=True, ex=self._bookkeeping_ttl)
            pipe.sadd(requester, job.id)
            pipe.expire(requester, self._bookkeeping_ttl)
            await pipe.execute()

    @reachable
    async def requeue(self, job: Job) -> str:
        """Queue again a job whose process died, or that Redis lost (not admitted again: it was once, but
        its admission is restored where Redis lost it); its arq job id."""
        await self.readmit(job)
        entry = await self.enqueue(job.id, attempt=f"{time.time():.3f}")
        # After: if the enqueue failed, the next claim tries again. (redis-py types a command for its sync and
        # async clients at once, `Awaitable[int] | int`: hence the ignores on these calls.)
        await self._redis.sadd(WAITING, job.id)  # type: ignore[misc]
        return entry

    @reachable
    async def queued(self, entry: str | None) -> bool:
        """Whether the arq job `entry` still waits for a worker (not taken, not lost, not evicted)."""
        if entry is None:
            return False
        job = ArqJob(entry, self._redis, _queue_name=entry_queue(entry))
        return await job.status() in (ArqStatus.queued, ArqStatus.deferred)

    @reachable
    async def started(self, job: Job) -> None:
        """`job` left the waiting line (a worker took it)."""
        await self._redis.srem(WAITING, job.id)  # type: ignore[misc]

    @reachable
    async def release(self, job: Job) -> None:
        """`job` is finished: it no longer counts against its requester, the queue or single-flight."""
        await self._release(keys=_keys(job), args=[job.id])

    @reachable
    async def waiting(self) -> int:
        return int(await self._redis.scard(WAITING))  # type: ignore[misc]

    def start_worker(self, run: Callable[[str], Awaitable[None]]) -> None:
        """Run up to `concurrency` queued jobs at a time in this process, each by calling `run(job_id)`."""

        async def summarize(ctx: dict[str, Any], job_id: str) -> None:
            await run(job_id)

        self._worker = Worker(
            functions=[func(summarize, name=SUMMARIZE, keep_result=0, timeout=self._job_timeout + 60)],
            redis_pool=_connect(self._url),
            queue_name=self._worker_queue,
            handle_signals=False,  # the web server (or `python -m summarizer worker`) handles SIGTERM
            max_jobs=self._concurrency,
            poll_delay=self._poll_delay,
            keep_result=0,
            log_results=False,
        )
        self._task = asyncio.create_task(self._supervise(self._worker), name="queue-worker")

    async def _supervise(self, worker: Worker) -> None:
        """arq's poll loop ends at the first Redis error: restart it, with backoff, until Redis is back."""
        delay = 1.0
        while True:
            began = time.monotonic()
            try:
                await worker.main()
            except (RedisError, OSError) as error:
                if time.monotonic() - began > 60:  # it ran a while: a new outage starts the backoff again
                    delay = 1.0
                log.warning(
                    "job queue in Redis unavailable (%s): polling again in %.0f s", error_text(error), delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def close(self) -> None:
        """Stop the worker: the jobs it runs are cancelled, and arq queues them again for the next worker."""
        for task in [*self._offers, *([self._task] if self._task else [])]:
            await cancel(task)
        if self._worker is not None:
            self._worker.handle_sig(signal.SIGUSR1)  # cancels the running attempts: arq queues them again
            # Each attempt then writes its end to Redis; one cancelled in that write ends with CancelledError,
            # which must not end this shutdown (`Worker.close()` would raise it).
            await asyncio.gather(*self._worker.tasks.values(), return_exceptions=True)
            await self._worker.pool.aclose()
        await self._redis.aclose()
