"""A service process for the kill -9 test: `python -m tests.api.crash_app <redis_url> <chunks> <port>`.

It summarizes `<chunks>` chunks, then every further chunk hangs until the process is killed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn

from api.main import create_app
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from summarizer.extractive import summarize_chunk
from tests.conftest import TRANSCRIPTS

T = TypeVar("T")


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


def main(redis_url: str, chunks: int, port: int) -> None:
    settings = Settings(redis_url=redis_url, transcript_dir=str(TRANSCRIPTS), job_lease_seconds=1.0)
    uvicorn.run(create_app(settings, HangingRunner(chunks)), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
