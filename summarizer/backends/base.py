"""What every jobs backend does for the engine: queue, find, keep and follow jobs (summarizer/backends)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import Any, TypedDict

from core.config import Settings
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobKey
from summarizer.sinks import Sink

Run = Callable[[Job], Awaitable[None]]  # runs a job to its end (the engine's pipeline)
ShowIn = Callable[[Job, Sink], None]  # starts showing a job in a sink (the engine's displays)


class QueueState(TypedDict):
    """Jobs waiting (in every process, with Redis), jobs running in this process, the bound on waiting."""

    waiting: int
    running: int
    max: int


class JobBackend(ABC):
    """Where jobs wait, run and are found.

    Built with the settings, what running a job means (`run`) and how to start showing a job in a sink
    (`show`; a backend that takes over another process's jobs shows them where that one did).
    """

    # Whether unfinished jobs outlive this process (another one resumes them).
    resumes = False

    def __init__(self, settings: Settings, run: Run, show: ShowIn) -> None:
        self._settings = settings
        self._run = run
        self._show = show

    @abstractmethod
    async def start(self) -> None:
        """Start running jobs (and, with Redis, take over what processes that are gone left)."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop taking and running jobs; with Redis, unfinished ones stay checkpointed for the next one."""

    @abstractmethod
    def in_flight(self, key: JobKey) -> Job | None:
        """The job with `key` queued or running in this process, if any (joined instead of a new one)."""

    @abstractmethod
    async def submit(self, job: Job) -> Job:
        """Queue `job`, or return the job in flight with the same key (on any process, with Redis).

        Raises `SummaryError` `busy` or `rate_limited` (with `retry_after`) when it cannot be taken."""

    @abstractmethod
    async def keep(self, job: Job) -> Job:
        """Keep a job that is finished already (from the cache), so that it is found by id."""

    @abstractmethod
    async def get(self, job_id: str) -> Job | None:
        """The job with `job_id`, kept up to date while it runs; None when unknown or long forgotten."""

    @abstractmethod
    async def add_sink(self, job: Job, sink: Sink) -> None:
        """Remember that this process shows `job` in `sink` (with Redis: another takes over if it dies)."""

    @abstractmethod
    async def save_callbacks(self, job: Job) -> None:
        """Keep how `job`'s REST callbacks went, for every process that reads the job."""

    @abstractmethod
    async def queue_state(self) -> QueueState:
        """How full the queue is now (/readyz, /metrics)."""

    async def hold_update(self, platform: str, update_id: int, update: dict[str, Any]) -> bool:
        """Keep a chat platform's update, acked by this process, until `update_handled`: with Redis, if this
        process dies first, another one handles it (`orphan_updates`). Without, nothing outlives the process.
        Whether it is kept (False without Redis, or when Redis cannot be reached)."""
        return False

    async def update_handled(self, platform: str, update_id: int) -> None:
        """The update is handled (its jobs admitted and its replies sent): no longer kept."""
        return None

    async def orphan_updates(self, platform: str) -> list[dict[str, Any]]:
        """Updates of `platform` kept by processes that are gone, for this one to handle (and mark so)."""
        return []

    async def hand_off(self, job: Job, error: SummaryError) -> bool:
        """Pass `job`, which failed here with `error`, to a process that may succeed instead (with Redis: a
        job YouTube refused goes to the residential lane); whether it was. By default it never is."""
        return False
