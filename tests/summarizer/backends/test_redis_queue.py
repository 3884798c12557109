"""The job queue shared through Redis: several web and worker processes, one queue, each job run once.

Runs against the real `redis-server` that tests/conftest.py starts on a free port, over real HTTP
(summarizer/backends/redis_queue.py, redis.py). Every "process" here is a separate `Engine` (own Redis
connections, own arq worker, own job objects), like the processes of a deployment; the last tests start
`python -m summarizer worker` as a real subprocess.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import pytest
from arq.constants import in_progress_key_prefix

from api.main import create_app
from core.config import Settings
from summarizer.backends.redis_keys import WAITING
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.extractive import make_tldr
from tests.support.data import MEDIUM, ROOT, TRANSCRIPTS
from tests.support.redis_mode import checkpointed, redis_client, stops, worker
from tests.support.rest import finished
from tests.support.runners import CountingRunner
from tests.support.servers import serve
from tests.support.waiting import eventually

# aiocache 0.12 calls redis-py's `close`, deprecated since redis-py 5.0.1 (for `aclose`).
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

T = TypeVar("T")

# Chunks per video with the default settings (MEDIUM has 6).
SHORT = {"--7Dd2sAwPA": 1, "--dnfTaoXKM": 2, "LPZh9BOjkQs": 2, "sektMcC_PAk": 5}
OTHER_REQUESTER = "127.0.0.2"  # a second client address on loopback: a second requester


def settings_for(redis_url: str, **overrides: Any) -> Settings:
    """Offline transcripts, Redis, and a worker that asks for new jobs every 0.1 s."""
    overrides = {"queue_poll_seconds": 0.1, **overrides}
    return Settings(redis_url=redis_url, transcript_dir=str(TRANSCRIPTS), **overrides)


@asynccontextmanager
async def web(settings: Settings, runner: InlineRunner | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A web process (the whole app under uvicorn) and a client of it."""
    server = AsyncExitStack()
    url = await server.enter_async_context(serve(create_app(settings, runner or CountingRunner())))
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield client
    finally:
        await stops(server.aclose(), "a web process")


@asynccontextmanager
async def other_client(of: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the same web process from another address, so another requester."""
    transport = httpx.AsyncHTTPTransport(local_address=OTHER_REQUESTER)
    async with httpx.AsyncClient(base_url=of.base_url, timeout=10, transport=transport) as client:
        yield client


async def post(client: httpx.AsyncClient, video_id: str) -> dict[str, Any]:
    """POST the video; it must be queued (202): the job resource."""
    response = await client.post("/v1/summaries", json={"url": video_id})
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


async def job_of(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/summaries/{job_id}")
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


async def refused(client: httpx.AsyncClient, video_id: str, status: int, code: str) -> None:
    """POSTing the video is refused with `status` / `code` and a Retry-After."""
    response = await client.post("/v1/summaries", json={"url": video_id})
    assert (response.status_code, response.json()["error"]["code"]) == (status, code), response.text
    assert int(response.headers["Retry-After"]) > 0


async def arq_done(redis_url: str, *job_ids: str) -> bool:
    """arq has written the end of these jobs (of every job, without ids). The tests stop a worker only then:
    a stop in that moment is test_a_process_stops_cleanly_as_its_job_ends's subject."""
    patterns = [f"{in_progress_key_prefix}{job_id}:*" for job_id in job_ids] or [f"{in_progress_key_prefix}*"]
    async with redis_client(redis_url) as client:
        for pattern in patterns:
            async for _ in client.scan_iter(pattern):
                return False
    return True


async def queue_bookkeeping_empty(redis_url: str) -> bool:
    """No job waits, none is in flight for a video or counted against a requester."""
    async with redis_client(redis_url) as client:
        waiting = await client.scard(WAITING)
        left = [key async for key in client.scan_iter("flight:*")]
        left += [key async for key in client.scan_iter("requester:*")]
    return waiting == 0 and not left


async def test_two_workers_share_one_queue_and_run_each_job_once(redis_url: str) -> None:
    """Two worker processes take jobs from one queue: while the first is busy with a job, the second runs
    all the others; every job finishes, each chunk is summarized exactly once in all (twin requests join
    their job), the web process (RUN_WORKER=false) runs nothing, and the queue's bookkeeping ends empty."""
    settings = settings_for(redis_url, run_worker=False, max_jobs_per_requester=10)
    front, first, second = CountingRunner(), CountingRunner(gated=True), CountingRunner()
    async with web(settings, front) as client, worker(settings, first):
        medium = await post(client, MEDIUM)

        async def taken() -> bool:
            status: str = (await job_of(client, medium["id"]))["status"]
            return status == "running"

        await eventually(taken, "the first worker takes the first job")
        # Queued while no worker is free: each twin joins the job in flight.
        others = {video: await post(client, video) for video in SHORT}
        assert (await post(client, MEDIUM))["id"] == medium["id"]
        assert (await post(client, "LPZh9BOjkQs"))["id"] == others["LPZh9BOjkQs"]["id"]
        async with worker(settings, second):
            done = [await finished(client, job["id"]) for job in others.values()]
            ids = [job["id"] for job in others.values()]
            await eventually(lambda: arq_done(redis_url, *ids), "the second worker is idle")
        still = await job_of(client, medium["id"])
        assert (still["status"], still["progress"]["done"]) == ("running", 0)  # not taken by the second
        first.release(6)
        done.append(await finished(client, medium["id"]))
        await eventually(lambda: queue_bookkeeping_empty(redis_url), "the finished jobs are released")
        await eventually(lambda: arq_done(redis_url), "the workers are idle")
    assert [len(job["chunks"]) for job in done] == [*SHORT.values(), 6]
    assert all(job["tldr"] for job in done)
    assert (front.calls, first.calls, second.calls) == (0, 6, sum(SHORT.values()))


async def test_the_same_video_posted_to_two_web_processes_is_one_job_run_once(redis_url: str) -> None:
    """Single-flight across processes: the same video POSTed to two web processes at once is one job (one
    id) on one of them, summarized once; both processes show it done with the same chunks."""
    settings = settings_for(redis_url)
    runners = [CountingRunner(gated=True), CountingRunner(gated=True)]
    async with web(settings, runners[0]) as a, web(settings, runners[1]) as b:
        posted = await asyncio.gather(*(c.post("/v1/summaries", json={"url": MEDIUM}) for c in (a, b)))
        assert [r.status_code for r in posted] == [202, 202], [r.text for r in posted]
        job_id = posted[0].json()["id"]
        assert posted[1].json()["id"] == job_id
        for runner in runners:
            runner.release(6)  # whichever runs it: the gate holds it in flight until both have posted
        seen = [await finished(client, job_id) for client in (a, b)]
        await eventually(lambda: arq_done(redis_url), "the workers are idle")
    assert [len(job["chunks"]) for job in seen] == [6, 6]
    assert seen[0]["chunks"] == seen[1]["chunks"] and seen[0]["tldr"] == seen[1]["tldr"]
    assert sorted(runner.calls for runner in runners) == [0, 6]


async def read_events(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    """The server-sent events of a job's stream, up to `done` or `failed`: (name, data)."""
    events: list[tuple[str, dict[str, Any]]] = []
    name = ""
    async for line in response.aiter_lines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, orjson.loads(line.removeprefix("data: "))))
            if name in ("done", "failed"):
                break
    return events


async def test_events_follow_a_job_that_runs_in_another_process(redis_url: str) -> None:
    """A job queued by one web process runs in a worker process; event streams opened mid-job, on the web
    process that took the request and on one that never saw the job, get every chunk, then `done`."""
    settings = settings_for(redis_url, run_worker=False)
    runner = CountingRunner(gated=True)
    async with web(settings) as front, web(settings) as other, worker(settings, runner):
        job = await post(front, MEDIUM)
        runner.release(2)
        await checkpointed(redis_url, job["id"], 2)
        path = f"/v1/summaries/{job['id']}/events"
        async with (
            asyncio.timeout(30),
            front.stream("GET", path) as here,
            other.stream("GET", path) as there,
        ):
            assert (here.status_code, there.status_code) == (200, 200)
            runner.release(4)
            streams = await asyncio.gather(read_events(here), read_events(there))
        await eventually(lambda: arq_done(redis_url), "the worker is idle")
    for events in streams:
        assert [name for name, _ in events] == ["chunk"] * 6 + ["done"]
        chunks, (_, last) = [data for _, data in events[:-1]], events[-1]
        assert [chunk["index"] for chunk in chunks] == list(range(6))
        assert (last["id"], last["status"], last["chunks"]) == (job["id"], "done", chunks)
    assert runner.calls == 6


async def test_the_per_requester_cap_holds_across_web_processes(redis_url: str) -> None:
    """MAX_JOBS_PER_REQUESTER counts a requester's jobs on every process: two waiting jobs, one POSTed to
    each web process, fill a cap of 2, and a third is refused (429) by either; another requester is
    still admitted, and joining a job in flight is never refused."""
    settings = settings_for(redis_url, run_worker=False, max_jobs_per_requester=2)
    async with web(settings) as a, web(settings) as b, other_client(b) as stranger:
        first = await post(a, "LPZh9BOjkQs")
        await post(b, "--7Dd2sAwPA")
        await refused(a, "--dnfTaoXKM", 429, "rate_limited")
        await refused(b, "--dnfTaoXKM", 429, "rate_limited")
        assert (await post(b, "LPZh9BOjkQs"))["id"] == first["id"]
        await post(stranger, "--dnfTaoXKM")


async def test_queue_max_holds_across_web_processes(redis_url: str) -> None:
    """QUEUE_MAX bounds the jobs waiting on all processes together: with 2 waiting (one POSTed to each web
    process) a new video is refused (503) by either, even for another requester; joining one is not."""
    settings = settings_for(redis_url, run_worker=False, queue_max=2, max_jobs_per_requester=10)
    async with web(settings) as a, web(settings) as b, other_client(a) as stranger:
        first = await post(a, "LPZh9BOjkQs")
        await post(b, "--7Dd2sAwPA")
        await refused(a, "--dnfTaoXKM", 503, "busy")
        await refused(b, "--dnfTaoXKM", 503, "busy")
        await refused(stranger, "--dnfTaoXKM", 503, "busy")
        assert (await post(b, "LPZh9BOjkQs"))["id"] == first["id"]


async def test_a_running_job_no_longer_counts_against_queue_max(redis_url: str) -> None:
    """QUEUE_MAX bounds waiting jobs only: once a worker runs the one waiting job, /readyz counts none
    waiting and a new video is admitted (it is refused while the first one still waits)."""
    settings = settings_for(redis_url, run_worker=False, queue_max=1)
    runner = CountingRunner(gated=True)
    async with web(settings) as client:
        first = await post(client, MEDIUM)
        await refused(client, "LPZh9BOjkQs", 503, "busy")
        async with worker(settings, runner):

            async def nothing_waits() -> bool:
                waiting: int = (await client.get("/readyz")).json()["queue"]["waiting"]
                return waiting == 0

            await eventually(nothing_waits, "the worker takes the job")
            assert (await job_of(client, first["id"]))["status"] == "running"
            await post(client, "LPZh9BOjkQs")
            runner.release(6 + SHORT["LPZh9BOjkQs"])
            await finished(client, first["id"])


async def test_a_worker_stops_whenever_it_is_told_to(redis_url: str) -> None:
    """`Engine.stop()` ends at whatever moment it comes, also while the queue worker is in the middle of a
    Redis call (SIGTERM must checkpoint and exit, not hang): a worker-only engine stopped after 0, 1, 2, ...
    turns of the event loop stops every time."""
    settings = settings_for(redis_url)
    for turns in range(12):
        engine = Engine.from_settings(settings, CountingRunner(), serves=False)
        await engine.start()
        for _ in range(turns):
            await asyncio.sleep(0)  # the worker's poll loop goes on by one step
        await stops(engine.stop(), f"a worker told to stop after {turns} turns of the event loop")


class TldrSignal(InlineRunner):
    """Runs the real steps; `written` is set when a job's TL;DR is written, the last step of a job."""

    def __init__(self) -> None:
        self.written = asyncio.Event()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        result = await super().run(fn, *args)
        if fn is make_tldr:
            self.written.set()
        return result


async def test_a_process_stops_cleanly_as_its_job_ends(redis_url: str) -> None:
    """A process told to stop just as its job ends (arq still writing the job's end) stops without an error,
    so the rest of its shutdown (checkpoints, leases, connections) runs: stopped 0, 1, 2, ... turns of the
    event loop after a job's TL;DR, it stops cleanly every time."""
    settings = settings_for(redis_url, queue_poll_seconds=0.01)
    async with redis_client(redis_url) as client:
        for turns in range(30):
            await client.flushdb()  # each round summarizes the video afresh
            runner = TldrSignal()
            engine = Engine.from_settings(settings, runner)
            await engine.start()
            await engine.submit("--7Dd2sAwPA")
            async with asyncio.timeout(10):
                await runner.written.wait()
            for _ in range(turns):
                await asyncio.sleep(0)  # the job's end goes on by one step
            await stops(
                engine.stop(), f"a process told to stop {turns} turns of the event loop after a TL;DR"
            )


def worker_env(**variables: str) -> dict[str, str]:
    """The environment of `python -m summarizer worker`: this one's, without REDIS_URL unless given."""
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    return {**env, **variables}


async def test_a_worker_subprocess_runs_queued_jobs_and_exits_0_on_sigterm(
    redis_url: str, tmp_path: Path
) -> None:
    """`python -m summarizer worker` takes the job a web process (RUN_WORKER=false) queued and finishes it;
    SIGTERM then ends it with exit code 0."""
    env = worker_env(
        REDIS_URL=redis_url,
        TRANSCRIPT_DIR=str(TRANSCRIPTS),
        QUEUE_POLL_SECONDS="0.1",
        SUMMARIZER_CPU_SHARE="1",  # unpaced
    )
    log = tmp_path / "worker.log"
    front = CountingRunner()
    async with web(settings_for(redis_url, run_worker=False), front) as client:
        job = await post(client, "LPZh9BOjkQs")
        with log.open("wb") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "summarizer", "worker", cwd=ROOT, env=env, stdout=out, stderr=out
            )
        try:

            async def done() -> dict[str, Any] | None:
                seen = await job_of(client, job["id"])
                assert seen["status"] != "failed", seen
                assert process.returncode is None, log.read_text()
                return seen if seen["status"] == "done" else None

            finished_job = await eventually(done, "the worker process finishes the job", tries=3000)
            await eventually(lambda: arq_done(redis_url), "the worker process is idle")
            process.send_signal(signal.SIGTERM)
            try:
                await stops(process.wait(), "the worker process, on SIGTERM,")
            except AssertionError as error:
                raise AssertionError(f"{error}; its log:\n{log.read_text()}") from None
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode == 0, log.read_text()
    assert len(finished_job["chunks"]) == SHORT["LPZh9BOjkQs"] and finished_job["tldr"]
    assert front.calls == 0


def test_the_worker_command_without_redis_exits_2_and_says_why() -> None:
    """Without REDIS_URL there is no shared queue to work on: `python -m summarizer worker` exits 2 at once
    and names the missing setting."""
    ended = subprocess.run(
        [sys.executable, "-m", "summarizer", "worker"],
        cwd=ROOT,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.returncode == 2, ended.stderr
    assert "needs REDIS_URL" in ended.stderr
