"""CPU runners for the tests: the real steps, inline, with the chunk summaries gated, counted or hung."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from summarizer.cpu_process import InlineRunner
from summarizer.extractive import summarize_chunk

T = TypeVar("T")


class GatedRunner(InlineRunner):
    """Runs the real steps, but each call of a `gated` step (by default a chunk's summary) waits for the test
    to `release()` it; `waiting` counts the calls waiting now."""

    def __init__(self, *gated: Callable[..., Any]) -> None:
        self.gated = gated or (summarize_chunk,)
        self.gate = asyncio.Semaphore(0)
        self.waiting = 0

    def release(self, n: int = 1) -> None:
        for _ in range(n):
            self.gate.release()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if fn in self.gated:
            self.waiting += 1
            try:
                await self.gate.acquire()
            finally:
                self.waiting -= 1
        return await super().run(fn, *args)


class CountingRunner(InlineRunner):
    """Runs the real steps and counts chunk summaries; with `gated`, each waits for `release()`."""

    def __init__(self, gated: bool = False) -> None:
        self.calls = 0
        self.gate = asyncio.Semaphore(0) if gated else None

    def release(self, n: int = 1) -> None:
        assert self.gate is not None
        for _ in range(n):
            self.gate.release()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if fn is summarize_chunk:
            if self.gate is not None:
                await self.gate.acquire()
            self.calls += 1
        return await super().run(fn, *args)


class HangingRunner(InlineRunner):
    """Runs the real steps; after `allowed` chunk summaries, the next one never finishes."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if fn is summarize_chunk:
            if not self.allowed:
                await asyncio.Event().wait()
            self.allowed -= 1
        return await super().run(fn, *args)


class CrashingRunner(InlineRunner):
    """Runs the real steps, but the child process "dies" (BrokenProcessPool) whenever `crash` is called."""

    def __init__(self, crash: Callable[..., Any]) -> None:
        self.crash = crash

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if fn is self.crash:
            from concurrent.futures.process import BrokenProcessPool

            raise BrokenProcessPool("the child process died")
        return await super().run(fn, *args)


class RecordingRunner(InlineRunner):
    """Runs the real steps and records each step's function and arguments."""

    def __init__(self) -> None:
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        self.calls.append((fn, args))
        return await super().run(fn, *args)
