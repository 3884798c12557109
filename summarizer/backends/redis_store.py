"""Job state checkpointed in Redis (with `REDIS_URL`), so jobs are found by any process and survive restarts.

Keys (redis_keys.py, docs/redis.md): `job:<id>`, a hash: `state` (the request, status, finished chunks, TL;DR,
error), `callbacks` (REST callbacks and how their delivery went), `queued_as` (the arq job that runs it) and,
while the job is live, `transcript` (an inline transcript); all but `queued_as` zlib-compressed orjson. No TTL
while the job is live (the `volatile-lru` policy never evicts it), `ttl` seconds once finished.
`job:<id>:sinks` lists where the job is shown (a Telegram message, a Discord response, a callback), each with
the process that shows it. `jobs:live` is the set of live job ids; `jobs:waiting` those waiting for a worker.
Every process holds `proc:<token>` with a short TTL, renewed by a heartbeat; the process running a job holds
`job:<id>:lease` the same way.

A live job neither leased nor waiting in the queue lost its process (or its queue entry) and is queued again;
a sink whose process is gone is taken over by a web process, and a finished job stays live until that has
happened. Each job is taken over in one step (`_TAKE_JOB`), held updates all in one (`_TAKE_UPDATES`), so
Redis dying midway leaves nothing taken that the taker does not know of. An entry that cannot be read (another
version's, or damaged) is dropped with a warning rather than stopping the others. Each checkpoint is announced
on the `jobs:changed` channel, so web processes follow jobs that run elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.exceptions import RedisError

from core.logs import error_text
from core.tasks import cancel
from summarizer.backends.redis_keys import (
    CHANGED,
    LIVE,
    UPDATES,
    WAITING,
    claim_key,
    job_key,
    lease_key,
    process_key,
    sinks_key,
)
from summarizer.cache import REDIS_CONNECT_TIMEOUT, REDIS_SOCKET_TIMEOUT, pack, unpack
from summarizer.errors import SummaryError
from summarizer.jobs import (
    Delivery,
    Job,
    JobStatus,
    chunk_from_dict,
    chunk_to_dict,
    point_from_dict,
    point_to_dict,
)
from summarizer.models import Transcript
from summarizer.sinks import Sink, sink_from_dict

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")


def job_state(job: Job) -> dict[str, Any]:
    """Everything the runner knows of `job`: not its inline transcript, callbacks or partial chunk."""
    return {
        "id": job.id,
        "video_id": job.video_id,
        "languages": job.languages,
        "requester": job.requester,
        "summarizer": job.summarizer,
        "output_language": job.output_language,
        "inline": job.inline,
        "status": job.status.value,
        "title": job.title,
        "channel": job.channel,
        "provider": job.provider,
        "translated_from": job.translated_from,
        "language_code": job.language_code,
        "total": job.total,
        "chunks": [chunk_to_dict(c) for c in job.chunks],
        "topics": job.topics,
        "tldr_points": [point_to_dict(p) for p in job.tldr_points],
        "tldr": job.tldr,
        "tldr_source": job.tldr_source,
        "error": job.error.to_dict() if job.error else None,
        "created_at": job.created_at,
    }


def job_from_state(
    state: dict[str, Any], transcript: Transcript | None = None, callbacks: Sequence[dict[str, Any]] = ()
) -> Job:
    error = state["error"]
    return Job(
        video_id=state["video_id"],
        languages=tuple(state["languages"]),
        requester=state["requester"],
        transcript=transcript,
        id=state["id"],
        status=JobStatus(state["status"]),
        title=state["title"],
        channel=state.get("channel"),  # (states saved before these existed have none)
        provider=state.get("provider"),
        translated_from=state.get("translated_from"),
        language_code=state["language_code"],
        total=state["total"],
        chunks=[chunk_from_dict(c) for c in state["chunks"]],
        topics=state.get("topics", []),  # (states saved before topics existed have none)
        tldr_points=[point_from_dict(p) for p in state.get("tldr_points", [])],
        tldr=state["tldr"],
        tldr_source=state["tldr_source"],
        error=SummaryError(error["code"], error["message"]) if error else None,
        callbacks=[Delivery(**d) for d in callbacks],
        summarizer=state["summarizer"],
        output_language=state["output_language"],
        inline=state.get("inline"),  # (states saved before it existed have none)
        created_at=state["created_at"],
    )


def _entry(raw: bytes, **shape: type | tuple[type, ...]) -> dict[str, Any] | None:
    """The dict packed in `raw` if each field of `shape` is there, of its type; else None: written by another
    version, or damaged."""
    try:
        entry = unpack(raw)
    except (ValueError, zlib.error):
        return None
    if isinstance(entry, dict) and all(isinstance(entry.get(name), kind) for name, kind in shape.items()):
        return entry
    return None


def _held(name: bytes, raw: bytes) -> dict[str, Any] | None:
    """The held update entry `raw` (`owner`, `at`, `update`), or None (logged) when it cannot be read: then it
    can be neither handled nor taken over."""
    if (entry := _entry(raw, owner=str, at=(int, float), update=dict)) is None:
        log.warning("held update %s is unreadable: dropped", name.decode(errors="replace"))
    return entry


def _sink(job_id: str, data: dict[str, Any]) -> Sink | None:
    """The sink `data` describes, or None (logged) when this version cannot read it (a newer kind, say)."""
    try:
        return sink_from_dict(data)
    except (ValueError, KeyError, TypeError) as error:
        log.warning("job %s: a sink of kind %r cannot be shown here (%r)", job_id, data.get("kind"), error)
        return None


# A held update older than this is dropped, not taken over: Telegram keeps an update it could not deliver for
# 24 h, and one no process could handle in that time would only be answered late, and again and again.
UPDATE_MAX_AGE = 24 * 3600

# Takes over held updates in one step, so Redis dying midway cannot leave one rewritten to this process and
# not handled. KEYS: the held updates' hash, then the heartbeat of each one's process as read. ARGV, three per
# update: its name, its entry as read, its entry held by this process. An update whose process lives again
# or whose entry changed since (another process took it over, or it was handled) is left. The names taken.
_TAKE_UPDATES = """
local taken = {}
for i = 2, #KEYS do
  local name = ARGV[3 * i - 5]
  if redis.call('EXISTS', KEYS[i]) == 0 and redis.call('HGET', KEYS[1], name) == ARGV[3 * i - 4] then
    redis.call('HSET', KEYS[1], name, ARGV[3 * i - 3])
    taken[#taken + 1] = name
  end
end
return taken
"""

# Takes over one job in one step, so Redis dying midway cannot leave a sink rewritten to this process and not
# shown. KEYS: the job's claim, its sinks, `jobs:live`, then the heartbeat of each lost sink's process as
# read. ARGV: this process's token, the claim's lease (ms), the job's id, 1 if it is finished (else 0), then
# three per lost sink: its place in the list, its entry there as read, its entry shown by this process. Nil
# when another process claims the job; else the numbers (from 1) of the sinks taken: each still as read, whose
# process is still gone. A finished job whose lost sinks were all taken leaves `jobs:live` (it is shown now).
_TAKE_JOB = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
local taken = {}
for i = 4, #KEYS do
  local at = ARGV[3 * i - 7]
  if redis.call('EXISTS', KEYS[i]) == 0 and redis.call('LINDEX', KEYS[2], at) == ARGV[3 * i - 6] then
    redis.call('LSET', KEYS[2], at, ARGV[3 * i - 5])
    taken[#taken + 1] = i - 3
  end
end
if ARGV[4] == '1' and #taken == #KEYS - 3 then
  redis.call('SREM', KEYS[3], ARGV[3])
end
return taken
"""

Queued = Callable[[str | None], Awaitable[bool]]  # whether a queue entry (an arq job id) is still waiting


@dataclass
class Orphan:
    """A live job that lost a process: to be queued again (`rerun`) and/or shown in `sinks` by this one."""

    job: Job
    rerun: bool
    sinks: list[Sink] = field(default_factory=list)


class RedisJobStore:
    """Checkpoints the jobs this process runs as they change, holds their leases, and keeps their sinks.

    Redis failures are logged (once per outage) and otherwise ignored: the job goes on in memory, unsaved.
    """

    def __init__(self, url: str, ttl: int, lease: float) -> None:
        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT
        )
        self._ttl = ttl
        self.lease = lease
        self._lease_ms = int(lease * 1000)
        self.owner = secrets.token_hex(8)
        self._trackers: dict[str, asyncio.Task[None]] = {}
        self._heartbeat: asyncio.Task[None] | None = None
        self._down = False
        self._with_transcript: set[str] = set()  # jobs run here whose inline transcript is in Redis
        self._take_updates = self._redis.register_script(_TAKE_UPDATES)
        self._take_job = self._redis.register_script(_TAKE_JOB)

    @property
    def redis(self) -> Any:  # redis.asyncio.Redis (redis-py declares `from_url` without a return type)
        """The connection pool, shared with the lanes' bookkeeping (redis_lane.py)."""
        return self._redis

    def start(self) -> None:
        self._heartbeat = asyncio.create_task(self._beat(), name="job-leases")

    async def close(self) -> None:
        """Stop following jobs, checkpoint the running ones and give up their leases and this process's
        heartbeat (the next process resumes them at once), then disconnect."""
        if self._heartbeat is not None:
            await cancel(self._heartbeat)
        trackers, self._trackers = self._trackers, {}
        await _stop_trackers(list(trackers.values()))
        await self._safely(self._release, list(trackers))
        await self._redis.aclose()

    async def let_go(self, job: Job) -> None:
        """Stop checkpointing `job` here (its last state is saved) and give up its lease: another process
        runs it next (a job handed to a lane)."""
        if (tracker := self._trackers.pop(job.id, None)) is not None:
            await _stop_trackers([tracker])
        self._with_transcript.discard(job.id)
        await self._safely(self._give_up_lease, job.id)

    def checkpoint(self, job: Job) -> None:
        """Save `job`, which this process runs, now and after each change until it is finished; its lease is
        held meanwhile."""
        if job.id not in self._trackers:
            self._trackers[job.id] = asyncio.create_task(self._follow(job), name=f"checkpoint-{job.id}")

    async def take(self, job_id: str) -> bool:
        """Take the lease to run `job_id`: False when a live process holds it (True when Redis is down)."""
        return await self._safely(self._take, job_id) is not False

    async def save(self, job: Job) -> bool:
        """Save `job` once (a queued job, before a worker can look for it); whether it was saved."""
        return await self._safely(self._save, job, False) is not None

    async def known(self, job_id: str) -> bool:
        """Whether Redis holds `job_id`'s state or lease (True when Redis cannot be asked). (Not the hash
        alone: a delivery saved after Redis emptied makes one without a state.)"""
        return await self._safely(self._known, job_id) is not False

    async def restore(self, job: Job) -> bool:
        """Save `job` again whole (its inline transcript too) if this process checkpoints it and Redis lost
        its state (it restarted empty); whether it had."""
        if job.id not in self._trackers:
            return False  # not run here (any more: a job handed to a lane is the lane worker's to save)
        if await self._safely(self._redis.hexists, job_key(job.id), "state") is not False:
            return False
        self._with_transcript.discard(job.id)
        return await self._safely(self._save, job, True) is not None

    async def keep_sinks(self, job_id: str, sinks: Sequence[Sink]) -> bool:
        """List again those of `sinks`, where this process shows `job_id`, that Redis no longer lists (it
        restarted empty), as `add_sink` did; whether any was."""
        listed = await self._safely(self._listed_sinks, job_id)
        if listed is None:
            return False
        kept = [{k: v for k, v in entry.items() if k != "owner"} for _, entry in listed]
        lost = [sink for sink in sinks if sink.to_dict() not in kept]
        for sink in lost:
            await self.add_sink(job_id, sink)
        return bool(lost)

    async def load(self, job_id: str) -> Job | None:
        """The job as last checkpointed (by any process), or None (also when it cannot be read: logged)."""
        return await self._safely(self._load, job_id)

    async def add_sink(self, job_id: str, sink: Sink) -> None:
        """Remember where `job_id` is shown, by this process (another one takes it over if this one dies)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(sinks_key(job_id), pack({**sink.to_dict(), "owner": self.owner}))
            pipe.expire(sinks_key(job_id), self._ttl)
            pipe.sadd(LIVE, job_id)
            await self._safely(pipe.execute)

    async def save_callbacks(self, job: Job) -> None:
        await self._safely(
            self._redis.hset, job_key(job.id), "callbacks", pack([asdict(d) for d in job.callbacks])
        )

    async def claim_orphans(self, sinks: bool, queued: Queued) -> list[Orphan]:
        """Live jobs whose process is gone, now this process's: those neither leased nor `queued` (given
        their `queued_as`) to queue again and, with `sinks`, the sinks no live process shows. Each job is
        claimed in one step, and those claimed before a Redis failure are returned: Redis dying midway leaves
        none claimed and not returned (those not claimed are left for the next round). A job whose state
        cannot be read is no longer live, and a sink entry that cannot be read is dropped (logged)."""
        orphans: list[Orphan] = []
        await self._safely(self._claim_orphans, sinks, queued, orphans)
        return orphans

    async def hold_update(self, name: str, update: dict[str, Any]) -> bool:
        """Keep a platform update (`name`: `<platform>:<update id>`) this process acked and handles, until
        `drop_update`: if this process dies first, another one takes it over (`claim_updates`). Whether it
        is kept (not when Redis cannot be reached)."""
        entry = pack({"owner": self.owner, "at": time.time(), "update": update})
        return await self._safely(self._redis.hset, UPDATES, name, entry) is not None

    async def drop_update(self, name: str) -> None:
        """The update `name` is handled: no longer kept."""
        await self._safely(self._redis.hdel, UPDATES, name)

    async def claim_updates(self, prefix: str) -> list[dict[str, Any]]:
        """The held updates whose names start with `prefix` and whose process is gone, now held by this one
        (in one step, by one process: Redis dying midway leaves none taken and not returned). Those held over
        `UPDATE_MAX_AGE`, and those that cannot be read (logged), are dropped."""
        return await self._safely(self._claim_updates, prefix) or []

    async def queued_as(self, job_id: str, entry: str) -> None:
        """Remember the queue entry (arq job id) that will run `job_id`."""
        await self._safely(self._redis.hset, job_key(job_id), "queued_as", entry)

    async def discard(self, job_id: str) -> None:
        """Forget a job saved before it was admitted that was not (it joined another, or was refused)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(job_key(job_id))
            pipe.srem(LIVE, job_id)
            await self._safely(pipe.execute)

    async def changes(self) -> AsyncIterator[str | None]:
        """Ids of the jobs checkpointed by any process, as they are; None after each (re)connection, when
        changes may have been missed."""
        delay = 1.0
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANGED)
                    delay = 1.0
                    yield None
                    while True:
                        message = await pubsub.get_message(timeout=REDIS_SOCKET_TIMEOUT)
                        if message is not None:
                            yield message["data"].decode()
            except (RedisError, OSError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _follow(self, job: Job) -> None:
        saved = None
        try:
            async for current in job.changes():
                assert current is not None
                # Only the partial chunk (not saved) may have changed: a model streams it many times a second.
                if (shown := (current.status, len(current.chunks), current.total)) != saved:
                    saved = shown
                    await self._safely(self._save, current, True)
        finally:
            if job.finished:
                self._trackers.pop(job.id, None)
            else:  # cancelled by `close`: the last state goes out there
                await self._safely(self._save, job, True)

    async def _save(self, job: Job, running: bool) -> bool:
        key = job_key(job.id)
        # A job its runner finished stays live while a sink of it has lost its process: a web process shows
        # it there. (A web process's own saves need no check: its sinks' process is itself.)
        unshown = running and job.finished and bool(await self._lost_sinks(job.id))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, "state", pack(job_state(job)))
            if job.finished:
                pipe.hdel(key, "transcript")
                pipe.expire(key, self._ttl)
                if not unshown:
                    pipe.srem(LIVE, job.id)
                pipe.delete(lease_key(job.id))
            else:
                if job.transcript is not None and job.id not in self._with_transcript:
                    # Once per job: packing a long transcript at every checkpoint cost the event loop ~11 ms
                    # of CPU per chunk.
                    pipe.hsetnx(key, "transcript", pack(job.transcript.to_dict()))
                pipe.sadd(LIVE, job.id)
                if running:
                    pipe.set(lease_key(job.id), self.owner, px=self._lease_ms)
            pipe.publish(CHANGED, job.id)
            await pipe.execute()
        if running and job.transcript is not None and not job.finished:
            self._with_transcript.add(job.id)
        else:
            self._with_transcript.discard(job.id)
        return True

    async def _known(self, job_id: str) -> bool:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hexists(job_key(job_id), "state")
            pipe.exists(lease_key(job_id))
            return any(await pipe.execute())

    async def _take(self, job_id: str) -> bool:
        return bool(await self._redis.set(lease_key(job_id), self.owner, nx=True, px=self._lease_ms))

    async def _load(self, job_id: str) -> Job | None:
        state, transcript, callbacks = await self._redis.hmget(
            job_key(job_id), ["state", "transcript", "callbacks"]
        )
        if state is None:
            return None
        try:
            return job_from_state(
                unpack(state),
                Transcript.from_dict(unpack(transcript)) if transcript else None,
                unpack(callbacks) if callbacks else [],
            )
        except (ValueError, KeyError, TypeError, AttributeError, zlib.error) as error:
            log.warning("job %s is unreadable in Redis (%s): treated as unknown", job_id, error_text(error))
            return None

    async def _claim_orphans(self, sinks: bool, queued: Queued, orphans: list[Orphan]) -> None:
        for raw_id in await self._redis.smembers(LIVE):
            job_id = raw_id.decode()
            leased, queued_as = (
                await self._redis.exists(lease_key(job_id)),
                await self._redis.hget(job_key(job_id), "queued_as"),
            )
            # Neither run by a live process nor waiting in the queue: its process died (or its queue entry).
            rerun = not leased and not await queued(queued_as.decode() if queued_as else None)
            lost = await self._lost_sinks(job_id)
            if not (rerun or (lost and sinks)):
                continue
            job = await self._load(job_id)  # only now: a live job's state may carry a whole transcript
            if job is None or (job.finished and not lost):
                await self._redis.srem(LIVE, job_id)
                await self._redis.srem(WAITING, job_id)
                continue
            if job.finished and not sinks:
                continue  # left for a web process to show
            taking = lost if sinks else []
            owners = [process_key(entry["owner"]) for *_, entry in taking]
            mine = [
                part for at, raw, entry in taking for part in (at, raw, pack({**entry, "owner": self.owner}))
            ]
            # One process takes over a job; the others skip it until this claim's lease would have expired.
            taken = await self._take_job(
                keys=[claim_key(job_id), sinks_key(job_id), LIVE, *owners],
                args=[self.owner, self._lease_ms, job_id, int(job.finished), *mine],
            )
            if taken is None:
                continue
            shown = [readable for n in taken if (readable := _sink(job_id, taking[n - 1][2]))]
            orphans.append(Orphan(job, rerun and not job.finished, shown))

    async def _claim_updates(self, prefix: str) -> list[dict[str, Any]]:
        held, dropped = {}, []
        for name, raw in (await self._redis.hgetall(UPDATES)).items():
            if not name.startswith(prefix.encode()):
                continue
            entry = _held(name, raw)
            if entry is None or time.time() - entry["at"] > UPDATE_MAX_AGE:
                dropped.append(name)
            else:
                held[name] = (raw, entry)
        if dropped:
            await self._redis.hdel(UPDATES, *dropped)
        alive = await self._alive({entry["owner"] for _, entry in held.values()})
        orphans = {name: (raw, entry) for name, (raw, entry) in held.items() if entry["owner"] not in alive}
        if not orphans:
            return []
        keys = [UPDATES, *(process_key(entry["owner"]) for _, entry in orphans.values())]
        mine = [(name, raw, pack({**entry, "owner": self.owner})) for name, (raw, entry) in orphans.items()]
        taken = await self._take_updates(keys=keys, args=[part for update in mine for part in update])
        return [orphans[name][1]["update"] for name in taken]

    async def _alive(self, owners: set[str]) -> set[str]:
        """Those of the process tokens `owners` whose process lives (its heartbeat is there)."""
        return {owner for owner in owners if await self._redis.exists(process_key(owner))}

    async def _lost_sinks(self, job_id: str) -> list[tuple[int, bytes, dict[str, Any]]]:
        """The sinks of `job_id` whose process is gone: their places in the list, as kept and as read."""
        listed = await self._listed_sinks(job_id)
        alive = await self._alive({entry["owner"] for _, entry in listed})
        return [(at, raw, entry) for at, (raw, entry) in enumerate(listed) if entry["owner"] not in alive]

    async def _listed_sinks(self, job_id: str) -> list[tuple[bytes, dict[str, Any]]]:
        """The entries of `job_id`'s sinks in their order, as kept and as read. One that cannot be read (not a
        dict with its process's token) is dropped with a warning: no process could show it or take it over."""
        listed = []
        for raw in await self._redis.lrange(sinks_key(job_id), 0, -1):
            if (entry := _entry(raw, owner=str)) is not None:
                listed.append((raw, entry))
            elif await self._redis.lrem(sinks_key(job_id), 0, raw):
                log.warning("job %s: a sink entry is unreadable: dropped", job_id)
        return listed

    async def _beat(self) -> None:
        """Renew this process's heartbeat and the leases of the jobs it runs, three times per lease."""
        while True:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(process_key(self.owner), 1, px=self._lease_ms)
                for job_id in self._trackers:
                    pipe.set(lease_key(job_id), self.owner, px=self._lease_ms)
                await self._safely(pipe.execute)
            await asyncio.sleep(self._lease_ms / 3000)

    async def _release(self, job_ids: list[str]) -> None:
        await self._redis.delete(process_key(self.owner))
        for job_id in job_ids:
            await self._give_up_lease(job_id)

    async def _give_up_lease(self, job_id: str) -> None:
        if await self._redis.get(lease_key(job_id)) == self.owner.encode():
            await self._redis.delete(lease_key(job_id))

    async def _safely(self, call: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            result = await call(*args, **kwargs)
        except (RedisError, OSError) as error:
            if not self._down:
                log.warning(
                    "job state in Redis unavailable (%s): jobs go on in memory, unsaved", error_text(error)
                )
                self._down = True
            return None
        if self._down:
            log.warning("Redis is reachable again: job state is saved again")
            self._down = False
        return result


async def _stop_trackers(trackers: list[asyncio.Task[None]]) -> None:
    """Cancel checkpoint trackers once (each then writes its job's last state; a second cancel would stop
    that), then, after a while, until it sticks: a cancellation that lands as a save ends can be swallowed
    (core/tasks.py), leaving a tracker that has saved and waits again."""
    for task in trackers:
        task.cancel()
    if trackers:
        _, late = await asyncio.wait(trackers, timeout=2 * REDIS_SOCKET_TIMEOUT)
        for task in late:
            await cancel(task)
