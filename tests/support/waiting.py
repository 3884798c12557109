"""Bounded waiting: poll a condition until it holds, fail the test when it never does."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(check: Callable[[], T | None], seconds: float = 30.0) -> T:
    """`check()`'s first true result, polled every 10 ms for at most `seconds`."""
    for _ in range(int(seconds * 100)):
        if result := check():
            return result
        await asyncio.sleep(0.01)
    raise AssertionError(f"not within {seconds} s: {check}")


async def eventually(check: Callable[[], Awaitable[T | None]], what: str, tries: int = 500) -> T:
    """Wait (bounded) until the async `check()` is truthy; its value."""
    for _ in range(tries):
        if result := await check():
            return result
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")
