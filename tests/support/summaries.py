"""Real summaries of the recorded videos, made by the real engine (inline), once per test session."""

from __future__ import annotations

from core.config import Settings
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.jobs import Job
from tests.support.data import TRANSCRIPTS

_summaries: dict[str, Job] = {}


async def summarized(video_id: str) -> Job:
    """The finished job of `video_id` (shared: tests must not change it)."""
    if video_id not in _summaries:
        engine = Engine.from_settings(Settings(transcript_dir=str(TRANSCRIPTS)), InlineRunner())
        await engine.start()
        try:
            job, _ = await engine.submit(video_id)
            async for current in job.changes():
                assert current is not None
            _summaries[video_id] = job
        finally:
            await engine.stop()
    return _summaries[video_id]
