"""Stopping asyncio tasks for good."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel(task: asyncio.Task[Any]) -> None:
    """Cancel `task` until it sticks, and wait for it to end.

    Python 3.11's `asyncio.wait_for` (inside aiocache, redis-py and arq) can swallow a cancellation that
    arrives as its inner call finishes; one `cancel()` then leaves the task running, and a shutdown hangs.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.1)
