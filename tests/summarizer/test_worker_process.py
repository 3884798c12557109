"""The low-priority child process: runs the real steps, at nice 19, and survives a crash."""

from __future__ import annotations

import json
import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from summarizer.chunking import prepare
from summarizer.extractive import summarize_chunk
from summarizer.transcripts import transcript_from_dict
from summarizer.worker_process import WorkerProcess
from tests.conftest import TRANSCRIPTS


@pytest.fixture
def worker():
    process = WorkerProcess()
    process.start()
    yield process
    process.stop()


async def test_child_runs_at_lowest_priority_and_returns_results(worker: WorkerProcess) -> None:
    assert await worker.run(os.nice, 0) == 19
    assert await worker.run(os.getpid) != os.getpid()

    data = json.loads((TRANSCRIPTS / "LPZh9BOjkQs.json").read_text())
    transcript = transcript_from_dict(data)
    chunks = await worker.run(prepare, transcript, 300.0, 900)
    assert chunks == prepare(transcript, 300.0, 900)
    summary = await worker.run(summarize_chunk, chunks[0], transcript.video_id, "en", 3)
    assert summary == summarize_chunk(chunks[0], transcript.video_id, "en", 3)


async def test_a_crashed_child_is_replaced(worker: WorkerProcess) -> None:
    first = await worker.run(os.getpid)
    with pytest.raises(BrokenProcessPool):
        await worker.run(os._exit, 1)
    second = await worker.run(os.getpid)
    assert second != first and await worker.run(os.nice, 0) == 19
