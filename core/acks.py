"""Acks first: platform requests being answered, and outbound calls that wait until none is.

At 0.1 CPU every outbound call (a "working on it" message, a Discord follow-up) shares the CPU with the acks
Telegram and Discord wait for. `AckGate` counts the platform requests in flight (api/metrics.py's middleware
enters it) and lets the platform clients hold their calls until none is, for at most `MAX_HOLD` seconds, so a
flood delays replies by moments instead of delaying every ack (issue 16; with the webhook answering refusals
itself, a flood's ack p99 went from 3.7-4.4 s to 0.9-1.9 s, docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

# The longest an outbound call waits for acks in flight: a sustained flood still gets its replies out.
MAX_HOLD = 2.0


class AckGate:
    """Counts acks in flight; `quiet()` waits until none is. `settled()` waits for a quiet spell."""

    def __init__(self) -> None:
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._idle_for_threads = threading.Event()  # the same, for worker threads (`yielding_imports`)
        self._idle_for_threads.set()
        self.last_activity = time.monotonic()  # the last ack that began or ended
        self.answered = asyncio.Event()  # set by the first response of any kind (the port is open)

    def enter(self) -> None:
        self._in_flight += 1
        self._idle.clear()
        self._idle_for_threads.clear()
        self.last_activity = time.monotonic()

    def leave(self) -> None:
        self._in_flight -= 1
        self.last_activity = time.monotonic()
        if self._in_flight <= 0:
            self._in_flight = 0
            self._idle.set()
            self._idle_for_threads.set()

    async def quiet(self, max_hold: float = MAX_HOLD) -> None:
        """Return once no ack is in flight, or after `max_hold` seconds."""
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max_hold):
                    await self._idle.wait()

    async def settled(self, idle: float, first_request_within: float) -> None:
        """Return once the service has had a request (or `first_request_within` s have passed without
        one) and no ack has begun or ended for `idle` s."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(first_request_within):
                await self.answered.wait()
        while True:
            await self._idle.wait()
            if (wait := self.last_activity + idle - time.monotonic()) <= 0 and not self._in_flight:
                return
            await asyncio.sleep(max(wait, 0.0))

    async def lull(self, idle: float, within: float) -> None:
        """Return once no ack has begun or ended for `idle` s, or after `within` s at most."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self.settled(idle, first_request_within=0)

    @contextlib.contextmanager
    def yielding_imports(self, share: float | None = None, max_hold: float = MAX_HOLD) -> Iterator[None]:
        """Meanwhile, an import statement in any thread but this one waits while acks are in flight (for
        at most `max_hold` s each, so an ack waiting for a module being imported cannot deadlock it) and,
        with `share`, while the process has used more than `share` of a core since the first such wait.

        Warming up after start-up imports python-telegram-bot and httpx in a thread (~0.2 s of CPU). At
        Render's 0.1 CPU that work used the cgroup's whole quota in every 100 ms period, so an ack arriving
        meanwhile waited for the next period: 85-199 ms instead of 21-33 before issue 16, 3-6 ms when the
        quota had room (docs/benchmarks.md). Paced at half the quota, the imports leave the other half to
        acks; paused while an ack is in flight, they leave it the CPU. The waits are in
        `builtins.__import__`, where no import lock is held but those of the modules the thread is
        importing (a meta path finder is called under the global one: every import would wait).
        """
        importing = builtins.__import__
        loop_thread = threading.get_ident()
        idle = self._idle_for_threads
        pace = _Pace(share) if share else None

        def yielding_import(name: str, *args: Any, **kwargs: Any) -> ModuleType:
            if threading.get_ident() != loop_thread:
                idle.wait(max_hold)
                if pace is not None:
                    pace()
            return importing(name, *args, **kwargs)

        builtins.__import__ = yielding_import
        try:
            yield
        finally:
            builtins.__import__ = importing


class _Pace:
    """Sleeps once the process's CPU time runs `step` CPU seconds ahead of `share` of a core, until it is
    back on pace; credit is capped at `step` too, so a pause does not buy a long run after it. Sleeping in
    steps, not before every import: waking a thread thousands of times doubled the imports' CPU."""

    def __init__(self, share: float, step: float = 0.005) -> None:
        self._share = share
        self._step = step
        self._balance = 0.0
        self._wall = time.monotonic()
        self._cpu = time.process_time()

    def __call__(self) -> None:
        wall, cpu = time.monotonic(), time.process_time()
        self._balance = min(self._step, self._balance + self._share * (wall - self._wall) - (cpu - self._cpu))
        self._wall, self._cpu = wall, cpu
        if self._balance < -self._step:
            time.sleep(-self._balance / self._share)
