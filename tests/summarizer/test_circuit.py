"""The YouTube circuit breaker, alone (a hand-driven clock) and inside the engine over recorded answers."""

from __future__ import annotations

import asyncio

import pytest
import responses

from core.config import Settings
from summarizer.circuit import CircuitBreaker
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from tests.support.youtube import VIDEO, asset, replace_player


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_repeated_blocks_then_probes_once_and_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=60, clock=clock)
    for _ in range(2):
        breaker.check()
        breaker.record(SummaryError("blocked"))
    breaker.check()
    breaker.record(SummaryError("no_transcript"))  # a video's own problem does not count...
    assert not breaker.open
    breaker.record(SummaryError("blocked"))  # ...and does not reset the run of blocks either
    assert breaker.open
    with pytest.raises(SummaryError) as fast:
        breaker.check()
    assert fast.value.code == "blocked" and fast.value.retry_after == 60

    clock.now = 61
    breaker.check()  # the probe
    with pytest.raises(SummaryError):
        breaker.check()  # only one at a time
    breaker.record(SummaryError("blocked"))
    assert breaker.open  # the probe failed: another cool-down

    clock.now = 122
    breaker.check()
    breaker.record(None)
    assert not breaker.open
    breaker.check()


async def run_job(engine: Engine) -> SummaryError | None:
    job, _ = await engine.submit(VIDEO, ["en"], requester="test")
    async for _ in job.changes():
        pass
    return job.error


async def failure(engine: Engine) -> SummaryError:
    """The error of a job that must fail."""
    error = await run_job(engine)
    assert error is not None
    return error


async def test_engine_stops_asking_youtube_while_open(yt: responses.RequestsMock) -> None:
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    settings = Settings(youtube_breaker_failures=2, youtube_breaker_cooldown=0.3)
    engine = Engine.from_settings(settings, runner=InlineRunner())
    await engine.start()
    try:
        assert [(await failure(engine)).code for _ in range(2)] == ["blocked", "blocked"]
        calls = len(yt.calls)
        failed_fast = await failure(engine)
        assert failed_fast.code == "blocked" and "try again in" in failed_fast.message
        assert len(yt.calls) == calls  # YouTube was not asked

        replace_player(yt, asset("youtube.innertube.json"))
        await asyncio.sleep(0.3)
        assert await run_job(engine) is None  # the probe succeeded
        assert not engine.transcripts.breakers["youtube"].open and len(yt.calls) > calls
    finally:
        await engine.stop()
