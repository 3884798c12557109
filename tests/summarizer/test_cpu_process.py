"""The low-priority child process: runs the real steps, at nice 19, and survives a crash."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from summarizer import cpu_process
from summarizer.cpu_process import CpuProcess
from summarizer.extractive import summarize_chunk
from summarizer.outline import outline
from summarizer.transcripts.folder import transcript_from_dict
from tests.support.data import ROOT, TRANSCRIPTS


@pytest.fixture
async def worker() -> AsyncIterator[CpuProcess]:
    process = CpuProcess()
    process.start()
    yield process
    await process.stop()


async def test_child_runs_at_lowest_priority_and_returns_results(worker: CpuProcess) -> None:
    assert await worker.run(os.nice, 0) == 19
    assert await worker.run(os.getpid) != os.getpid()

    data = json.loads((TRANSCRIPTS / "LPZh9BOjkQs.json").read_text())
    transcript = transcript_from_dict(data)
    planned = await worker.run(outline, transcript, 300.0, 900)
    assert planned == outline(transcript, 300.0, 900)
    chunks = planned.chunks
    summary = await worker.run(summarize_chunk, chunks[0], transcript.video_id, "en", 3)
    assert summary == summarize_chunk(chunks[0], transcript.video_id, "en", 3)


async def test_a_crashed_child_is_replaced(worker: CpuProcess) -> None:
    first = await worker.run(os.getpid)
    with pytest.raises(BrokenProcessPool):
        await worker.run(os._exit, 1)
    second = await worker.run(os.getpid)
    assert second != first and await worker.run(os.nice, 0) == 19


def test_paced_call_rests_in_proportion_to_the_cpu_it_used(monkeypatch: pytest.MonkeyPatch) -> None:
    def spin(seconds: float) -> float:
        end = time.process_time() + seconds
        while time.process_time() < end:
            pass
        return seconds

    monkeypatch.setattr(cpu_process, "_rate", 0.25)  # a quarter of a core on average
    began = time.monotonic()
    assert cpu_process._paced(spin, 0.02) == 0.02
    assert time.monotonic() - began >= 0.02 / 0.25  # 20 ms of CPU → at least 80 ms in all


def test_child_ends_when_the_web_process_is_killed(tmp_path: Path) -> None:
    script = (
        "import asyncio, os, sys\n"
        "from summarizer.cpu_process import CpuProcess\n"
        "async def main():\n"
        "    worker = CpuProcess(); worker.start()\n"
        "    print(await worker.run(os.getpid), flush=True)\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(100):  # the child checks once a second
        if not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text():
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the worker process outlived the web process")


async def test_an_idle_child_ends_and_the_next_job_starts_a_new_one() -> None:
    worker = CpuProcess(idle_seconds=0.2)
    try:
        first = await worker.run(os.getpid)
        assert worker.alive
        for _ in range(100):  # the idle timer fires 0.2 s after the last step
            if not worker.alive:
                break
            await asyncio.sleep(0.05)
        assert not worker.alive
        assert await worker.run(os.getpid) != first
    finally:
        await worker.stop()


async def test_the_child_started_on_demand_waits_for_before_start() -> None:
    lull = asyncio.Event()

    async def before_start() -> None:  # the service waits here for a lull in its acks
        await lull.wait()

    process = CpuProcess(before_start=before_start)
    try:
        job = asyncio.create_task(process.run(os.getpid))
        await asyncio.sleep(0.2)
        assert not process.alive and not job.done()
        lull.set()
        assert await asyncio.wait_for(job, 60) != os.getpid()
        assert process.alive
    finally:
        await process.stop()
