"""Every Redis key and channel of the jobs backend, in one place (docs/redis.md: values, TTLs, sizes).

The cache's keys (`cache:*`) are summarizer/cache.py's, the rate limits' (`LIMITS:*`) the `limits`
library's, and arq keeps its own (`arq:*`) for the shared queue's entries.
"""

from __future__ import annotations

import orjson
from arq.constants import default_queue_name

from summarizer.jobs import JobKey

LIVE = "jobs:live"  # set: ids of the jobs not finished (or finished and not yet shown where they should be)
WAITING = "jobs:waiting"  # set: ids of admitted jobs no worker has taken yet
CHANGED = "jobs:changed"  # pub/sub channel: the id of each job checkpointed
SUMMARIZE = "summarize"  # the arq function that runs one job by id
QUEUE = default_queue_name  # "arq:queue": arq's sorted set of the entries waiting for any worker
LANES = ("residential",)  # the lanes a worker can serve (redis_lane.py)
# Hash: platform updates acked, not yet handled, by `<platform>:<update id>` (redis_store.py `hold_update`).
UPDATES = "updates:held"


def job_key(job_id: str) -> str:
    """Hash: `state`, `callbacks`, `queued_as`, `transcript` (redis_store.py)."""
    return f"job:{job_id}"


def lease_key(job_id: str) -> str:
    """The token of the process that runs the job, with a TTL its heartbeat renews."""
    return f"job:{job_id}:lease"


def claim_key(job_id: str) -> str:
    """The token of the process taking the job over, so that only one does."""
    return f"job:{job_id}:claim"


def sinks_key(job_id: str) -> str:
    """List: where the job is shown, each entry with the token of the process that shows it."""
    return f"job:{job_id}:sinks"


def process_key(owner: str) -> str:
    """A process's heartbeat."""
    return f"proc:{owner}"


def flight_key(key: JobKey) -> str:
    """The id of the job in flight for a job key (single-flight across processes)."""
    return f"flight:{orjson.dumps(key).decode()}"


def requester_key(requester: str) -> str:
    """Set: ids of the requester's jobs in flight (MAX_JOBS_PER_REQUESTER across processes)."""
    return f"requester:{requester}"


def lane_queue(lane: str) -> str:
    """arq's sorted set of the entries waiting for a worker of `lane`."""
    return f"arq:queue:{lane}"


def queue_entry(job_id: str, tail: str) -> str:
    """arq's job id of one queueing of `job_id`: `<job id>:<lane>` for a hand-over to a lane (it waits in the
    lane's queue), `<job id>:<attempt>` otherwise (in the main one)."""
    return f"{job_id}:{tail}"


def entry_queue(entry: str) -> str:
    """The arq queue a `queue_entry` waits in."""
    tail = entry.rsplit(":", 1)[-1]
    return lane_queue(tail) if tail in LANES else QUEUE


def lane_workers_key(lane: str) -> str:
    """Sorted set: the lane's workers (process tokens), scored by when each was last seen (Unix time)."""
    return f"lane:{lane}:workers"


def lane_deadlines_key(lane: str) -> str:
    """Sorted set: ids of the jobs waiting for a worker of the lane, scored by when the wait ends."""
    return f"lane:{lane}:deadlines"
