"""Where CPU-heavy steps run (`Runner`): the CPU process, a low-priority child paced below the CPU quota,
in the service; inline (`InlineRunner`) in the CLI and the tests.

Measured with benchmarks/offload.py (the service in a 0.1-CPU cgroup, a trivial POST timed from outside
while the five longest transcripts were summarized; ms; docs/how-it-works.md has the whole table):

    summarizer in                         busy p50   busy max   5 jobs took
    a thread of the web process              99        202        12.4 s
    this process, nice 19                    95        101
    this process, nice 19, paced to 0.5      2.7       100        22.7 s

nice alone cuts the tail (the web process wins every scheduling decision) but not the median: once the
cgroup's 10 ms per 100 ms are used up, the whole cgroup waits, acks included. Pacing the child to half
the quota leaves the web process CPU in most periods, for summaries taking about twice as long.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, TypeVar

from core.cpu_budget import cpu_limit

T = TypeVar("T")

# Cores the child may use on average; 0 = unpaced. Set in the child by `_init_child`.
_rate = 0.0


def _exit_with_parent(parent: int) -> None:
    """End the child when the web process is gone (even after `kill -9`), checking once a second."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def _init_child(parent: int, cpu_share: float) -> None:
    """Runs once in the child: lowest priority, pacing, then the slow imports (sumy) before the first job."""
    global _rate
    os.nice(19)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    limit = cpu_limit()
    _rate = limit * cpu_share if limit and 0 < cpu_share < 1 else 0.0
    from summarizer.extractive import warm_up

    warm_up()


def _paced(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn`, then rest long enough that this child averages at most `_rate` cores."""
    cpu, wall = time.process_time(), time.monotonic()
    result = fn(*args)
    if _rate:
        rest = (time.process_time() - cpu) / _rate - (time.monotonic() - wall)
        if rest > 0:
            time.sleep(rest)
    return result


class Runner(Protocol):
    """Runs a CPU-heavy step (a picklable function) somewhere that does not hold up the event loop."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...

    async def stop(self) -> None: ...


class InlineRunner:
    """Runs steps in this process (the CLI, where nothing else needs the CPU, and the tests)."""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    async def stop(self) -> None:
        pass


class CpuProcess:
    """One child process (nice 19, paced to `cpu_share` of the cgroup's CPU quota) running picklable calls."""

    def __init__(
        self,
        cpu_share: float = 0.5,
        idle_seconds: float = 600.0,
        before_start: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._cpu_share = cpu_share
        self._idle_seconds = idle_seconds
        # Awaited before the child starts on demand: the web service waits for a lull in acks (core/acks.py).
        self._before_start = before_start
        self._pool: ProcessPoolExecutor | None = None
        self._running = 0
        self._idle_timer: asyncio.TimerHandle | None = None

    @property
    def alive(self) -> bool:
        return self._pool is not None

    def start(self) -> None:
        """Start the child now (if it is not running), so its imports are done before a job needs them."""
        if self._pool is not None:
            return
        # "spawn", not "fork": forking a process that runs an event loop and threads is unsafe,
        # and a fresh interpreter carries none of the web process's memory.
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_child,
            initargs=(os.getpid(), self._cpu_share),
        )
        self._pool.submit(int)  # starts the child and its initializer in the background

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` in the child (started on demand); a crashed child is replaced, its error raised."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._pool is None:
            # The child's imports (sumy, ~0.33 CPU-s) are not paced: started in the middle of a flood of
            # webhooks they take the whole 0.1-CPU quota for seconds, and every ack waits. Flood of 50
            # Telegram webhooks, 20 in flight (`benchmarks/run.py --quick --service-only`, issue 16): acks
            # p50 0.1-0.4 s, p99 0.9-1.9 s with the child starting with the flood's first job; p50 97-103
            # ms, p99 0.50-0.58 s when it waits for a lull (importing in paced steps instead: 0.2/1.7 s).
            if self._before_start is not None:
                await self._before_start()
            self.start()
        assert self._pool is not None
        pool = self._pool
        self._running += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, _paced, fn, *args)
        except BrokenProcessPool:
            pool.shutdown(wait=False, cancel_futures=True)
            if self._pool is pool:
                self._pool = None
            raise
        finally:
            self._running -= 1
            if not self._running and self._pool is not None:
                self._idle_timer = asyncio.get_running_loop().call_later(self._idle_seconds, self._end_idle)

    def _end_idle(self) -> None:
        """End a child that had nothing to do for `idle_seconds`: its ~70 MiB of RSS back (it restarts
        with the next job, paying its imports, ~0.33 CPU-s, again)."""
        self._idle_timer = None
        if self._pool is not None and not self._running:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=False)

    async def stop(self) -> None:
        """Let the current step finish, then end the child (a thread waits, not the event loop)."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
