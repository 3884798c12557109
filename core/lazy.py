"""Values built on first use: `Lazy`, its imports in a worker thread so the event loop keeps answering, and
`lazy_regex`, a regular expression compiled at its first use.

The platform clients import python-telegram-bot and httpx: ~0.3 s of CPU, 3 s of wall time at 0.1 CPU.
Built before the port opens they delay the cold start; built in the event loop they delay every ack
waiting behind them. A thread still takes the GIL, but the interpreter hands it back every 5 ms
(`sys.getswitchinterval()`), so an ack that arrives meanwhile is answered between two slices.

The web process imports the summarizer's text modules (for the functions it hands to the CPU process, and
their types) but runs their regular expressions only in the CPU process: compiled at import, they would cost
its start-up CPU for nothing (the figures at each use).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from functools import cache
from typing import Generic, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """`await get()` builds the value once (`build` runs in a thread), every later call returns it."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        self._lock = asyncio.Lock()

    @property
    def built(self) -> T | None:
        """The value if it was built already, else None (never builds)."""
        return self._value

    async def get(self) -> T:
        if self._value is None:
            async with self._lock:
                if self._value is None:
                    self._value = await asyncio.to_thread(self._build)
        return self._value


def lazy_regex(pattern: str, flags: int = 0) -> Callable[[], re.Pattern[str]]:
    """`pattern` compiled by the first call; every call returns that one compiled pattern."""

    @cache
    def compiled() -> re.Pattern[str]:
        return re.compile(pattern, flags)

    return compiled
