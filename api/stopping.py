"""The server begins to stop: an event set by SIGTERM (Render's stop) or SIGINT, before uvicorn waits for
the open connections to end.

uvicorn gives open connections `--timeout-graceful-shutdown` (20 s) and then cancels them, logging an ERROR
and a traceback for each: a server-sent event stream never ends by itself, so every open one did. A
response that would run on (`/v1/summaries/{id}/events`) ends itself when this event is set; the job goes
on, and its resource says where it stands.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def stop_signals() -> Iterator[asyncio.Event]:
    """An event set when a stop signal arrives while the block runs; the signal is then handled as before
    (uvicorn's handler, or the default)."""
    event, loop = asyncio.Event(), asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(event.set)
        handler = previous[signum]
        if callable(handler):
            handler(signum, frame)
        elif handler == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)

    if threading.current_thread() is threading.main_thread():  # (signal handlers live in the main thread)
        for signum in SIGNALS:
            previous[signum] = signal.getsignal(signum)
            signal.signal(signum, handle)
    try:
        yield event
    finally:
        for number, handler in previous.items():
            if signal.getsignal(number) is handle:
                signal.signal(number, handler)
