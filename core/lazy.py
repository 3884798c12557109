"""A value built on first use, its imports in a worker thread so the event loop keeps answering.

The platform clients import python-telegram-bot and httpx: ~0.3 s of CPU, 3 s of wall time at 0.1 CPU.
Built before the port opens they delay the cold start; built in the event loop they delay every ack
waiting behind them. A thread still takes the GIL, but the interpreter hands it back every 5 ms
(`sys.getswitchinterval()`), so an ack that arrives meanwhile is answered between two slices.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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
