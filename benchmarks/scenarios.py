"""The scenarios of issue 6, each run against one target (the real service or the baseline).

Each scenario records samples under a metric key (`Results.add`); the report takes median and p99.
Every loop is bounded by a sample count or a deadline; every request goes to the loopback.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from benchmarks import fakes
from benchmarks.server import Budget, Server

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "tests" / "data" / "transcripts"
ACK_VIDEO = "--7Dd2sAwPA"  # the shortest transcript (3.4 min): what the webhooks in the ack scenarios link to
CLASSES = {
    "short": ("LPZh9BOjkQs", "--dnfTaoXKM"),
    "medium": ("eMlx5fFNoYc", "sektMcC_PAk"),
    "long": ("FtriFMxsOWw", "cdiD-9MMpb0"),
}
LONGEST = "cdiD-9MMpb0"  # 3.5 h
BUSY_VIDEOS = ("FtriFMxsOWw", "cdiD-9MMpb0", "3zu317upAUA")
SUMMARY_TIMEOUT = 600.0  # the baseline's 3.5-hour LexRank takes ~200 s of wall time at 0.1 CPU
UNAVAILABLE = "not available"


@dataclass
class Plan:
    """How much of everything to run (`--smoke`, `--quick` or the full run)."""

    cold_starts: int
    ack_samples: int
    baseline_ack_samples: int
    busy_samples: int
    baseline_busy_samples: int
    cache_gets: int
    warm_repeats: int
    classes: Mapping[str, tuple[str, ...]]
    baseline_long: tuple[str, ...]
    queue_max: int
    flood_timeout: float = 10.0
    drain_timeout: float = 300.0


PLANS = {
    "smoke": Plan(
        1, 3, 2, 2, 1, 5, 1, {"short": ("LPZh9BOjkQs",)}, (), 2, flood_timeout=5.0, drain_timeout=30.0
    ),
    "quick": Plan(2, 20, 5, 20, 2, 50, 1, CLASSES, ("FtriFMxsOWw",), 5),
    "full": Plan(5, 60, 10, 60, 3, 300, 3, CLASSES, CLASSES["long"], 20),
}


@dataclass
class Results:
    """Samples per target and metric, and the metrics a target could not run."""

    samples: dict[str, dict[str, list[float]]] = field(default_factory=lambda: defaultdict(dict))
    unavailable: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    notes: list[str] = field(default_factory=list)
    failures: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, target: str, metric: str, value: float) -> None:
        self.samples[target].setdefault(metric, []).append(value)

    def fail(self, target: str, what: str, reason: str) -> None:
        """A request refused or failed: counted per reason (the report's total and notes), never raised."""
        self.failures[target][f"{what}: {reason}"] += 1


class Transcripts:
    """A TRANSCRIPT_DIR with the test transcripts plus copies under fresh ids (so no job hits a cache)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.data: dict[str, dict[str, Any]] = {}
        self.hours: dict[str, float] = {}
        for path in TRANSCRIPTS.glob("*.json"):
            (directory / path.name).symlink_to(path)
            self.data[path.stem] = data = json.loads(path.read_text(encoding="utf-8"))
            last = data["snippets"][-1]
            self.hours[path.stem] = (last["start"] + last["duration"]) / 3600
        self._count = 0

    def alias(self, video_id: str) -> str:
        """A new 11-character id whose transcript is `video_id`'s."""
        self._count += 1
        alias = f"B{self._count:04d}{video_id[5:]}"
        data = {**self.data[video_id], "video_id": alias}
        (self.directory / f"{alias}.json").write_text(json.dumps(data), encoding="utf-8")
        self.hours[alias] = self.hours[video_id]
        return alias


@dataclass
class Context:
    """What every scenario needs: the load generator's client, the fakes, the budget and the files."""

    client: httpx.AsyncClient
    plan: Plan
    budget: Budget
    workdir: Path
    transcripts: Transcripts
    platforms: fakes.Platforms
    fake: fakes.FakePlatforms
    fake_url: str
    results: Results
    redis_url: str | None = None  # `run.py --redis`: the service's REDIS_URL, emptied before each start

    def env(self, queue_max: int) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
        return {
            **keep,
            "TRANSCRIPT_DIR": str(self.transcripts.directory),
            "QUEUE_MAX": str(queue_max),
            "MAX_JOBS_PER_REQUESTER": "1000",  # REST jobs all come from 127.0.0.1
            "RATE_LIMIT": "",  # likewise: the per-requester rate limit would refuse the load itself
            "TELEGRAM_BOT_TOKEN": fakes.TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": fakes.TELEGRAM_SECRET,
            "TELEGRAM_API_BASE_URL": self.fake_url,
            "DISCORD_PUBLIC_KEY": self.platforms.discord_public_key,
            "DISCORD_APPLICATION_ID": fakes.DISCORD_APPLICATION_ID,
            "DISCORD_API_BASE_URL": f"{self.fake_url}/api/v10",
            **({"REDIS_URL": self.redis_url} if self.redis_url else {}),
        }

    @asynccontextmanager
    async def server(self, target: str, queue_max: int | None = None) -> AsyncIterator[Server]:
        if self.redis_url:  # every start as on a fresh Key Value: no summary cached by an earlier scenario
            with redis.Redis.from_url(self.redis_url) as client:
                client.flushdb()
        server = Server(
            target, free_port(), self.env(queue_max or self.plan.queue_max), self.budget, self.workdir
        )
        try:
            yield server
        finally:
            status = server.stop()
            if status not in (0, None, -15):
                self.results.notes.append(f"{target} exited with status {status} (see {server.log.name})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def link(video_id: str) -> str:
    return f"https://youtu.be/{video_id}"


async def timed(request: Awaitable[httpx.Response]) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    response = await request
    return (time.perf_counter() - began) * 1000, response


class Acks:
    """Sends the platform webhooks and times their answers (ms); a 404 means the platform is absent.

    A webhook answered with an error or not at all is a counted result (`failed.<platform>`, with its
    reason in the notes), never an abort. A Telegram answer carrying a method is performed the way
    Telegram does: its text is what the chat receives (`FakePlatforms.texts`)."""

    def __init__(self, ctx: Context, server: Server) -> None:
        self.ctx, self.server = ctx, server
        self.available = {"telegram": True, "discord": True}
        self._chat = 1000

    async def send(
        self, platform: str, video_id: str, wait: float = 120.0, chat: int | None = None
    ) -> float | None:
        """One webhook linking to `video_id` (from a new chat by default); ms, or None when not available
        or it failed (counted)."""
        ms, failure = await self.post(platform, video_id, wait, chat)
        if failure is not None:
            self.failed(platform, failure)
        return ms

    async def post(
        self, platform: str, video_id: str, wait: float, chat: int | None = None
    ) -> tuple[float | None, str | None]:
        """(ms, None) when acked, (None, why) when it failed, (None, None) when the platform is absent."""
        self._chat += 1
        chat = chat or self._chat
        if platform == "telegram":
            body, headers = self.ctx.platforms.telegram(link(video_id), chat)
            path = "/telegram/webhook"
        else:
            body, headers = self.ctx.platforms.discord(link(video_id), chat)
            path = "/discord/interactions"
        try:
            ms, response = await timed(
                self.ctx.client.post(self.server.url + path, content=body, headers=headers, timeout=wait)
            )
        except httpx.HTTPError as error:  # timed out, connection reset: Telegram would redeliver
            return None, type(error).__name__
        if response.status_code == 404:
            self.available[platform] = False
            return None, None
        if not response.is_success:
            return None, f"HTTP {response.status_code}"
        if platform == "telegram" and response.content and (answer := response.json()).get("method"):
            self.ctx.fake.texts[int(answer["chat_id"])].append(str(answer.get("text", "")))
        return ms, None

    def failed(self, platform: str, reason: str) -> None:
        self.ctx.results.fail(self.server.target, f"{platform} webhook", reason)


class Sampler:
    """Samples the service's RSS every 0.25 s in the background; `peak` since the last `reset`."""

    def __init__(self, server: Server) -> None:
        self.server, self.peak = server, 0.0
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, self.server.rss_mb()[0])
            await asyncio.sleep(0.25)

    def reset(self) -> None:
        self.peak = self.server.rss_mb()[0]

    def close(self) -> None:
        self._task.cancel()


async def follow(ctx: Context, server: Server, job: dict[str, Any], began: float) -> tuple[float, float]:
    """Wall seconds from `began` to the first finished chunk and to the end, from the job's SSE stream."""
    if job.get("status") == "done":  # answered when done (the baseline), or from a cache
        done = time.perf_counter() - began
        return done, done
    first = None
    url = f"{server.url}/v1/summaries/{job['id']}/events"
    async with ctx.client.stream("GET", url, timeout=SUMMARY_TIMEOUT) as stream:
        async for line in stream.aiter_lines():
            if line == "event: chunk" and first is None:
                first = time.perf_counter() - began
            elif line == "event: done":
                end = time.perf_counter() - began
                return first if first is not None else end, end
            elif line == "event: failed":
                break
    raise RuntimeError(f"job {job['id']} for video {job.get('video_id')} failed or its event stream broke")


async def submit(ctx: Context, server: Server, video_id: str) -> tuple[dict[str, Any] | None, float]:
    """POST a job; (None, began) when it was refused or failed (counted, with the reason)."""
    began = time.perf_counter()
    try:
        response = await ctx.client.post(
            f"{server.url}/v1/summaries", json={"url": link(video_id)}, timeout=SUMMARY_TIMEOUT
        )
    except httpx.HTTPError as error:
        ctx.results.fail(server.target, "POST /v1/summaries", type(error).__name__)
        return None, began
    if not response.is_success:
        code = response.json().get("error", {}).get("code", "") if response.content else ""
        ctx.results.fail(server.target, "POST /v1/summaries", f"HTTP {response.status_code} {code}".strip())
        return None, began
    return response.json(), began


async def summary_run(
    ctx: Context, server: Server, target: str, video_id: str, metric: str, sampler: Sampler
) -> str:
    """Summarize one video; record CPU-s per hour of video, wall s, first chunk s and peak RSS."""
    cpu = server.cpu_seconds()
    sampler.reset()
    job, began = await submit(ctx, server, video_id)
    if job is None:
        return ""
    first, wall = await follow(ctx, server, job, began)
    used = server.cpu_seconds() - cpu
    hours = ctx.transcripts.hours[video_id]
    results = ctx.results
    results.add(target, f"{metric}.cpu_s", used)
    results.add(target, f"{metric}.cpu_per_h", used / hours)
    results.add(target, f"{metric}.wall_s", wall)
    results.add(target, f"{metric}.wall_per_h", wall / hours)
    results.add(target, f"{metric}.first_chunk_s", first)
    results.add(target, f"{metric}.peak_mb", sampler.peak)
    return str(job["id"])


async def cold_start(ctx: Context, target: str) -> None:
    """Process start → first 200 on /healthz, and → first acked Telegram webhook (wall s, CPU s)."""
    for _ in range(ctx.plan.cold_starts):
        async with ctx.server(target) as server:
            ctx.results.add(target, "cold.healthz_s", await server.wait_healthy(ctx.client))
            ctx.results.add(target, "cold.healthz_cpu_s", server.cpu_seconds())
            acks = Acks(ctx, server)
            if await acks.send("telegram", ctx.transcripts.alias(ACK_VIDEO)) is None:
                if not acks.available["telegram"]:
                    ctx.results.unavailable[target].add("cold.ack")
                continue
            ctx.results.add(target, "cold.ack_s", time.perf_counter() - server.started)
            ctx.results.add(target, "cold.ack_cpu_s", server.cpu_seconds())


async def main_server(ctx: Context, target: str) -> None:
    """One server (default QUEUE_MAX): first job, idle RSS, summary cost, cache hits, acks idle and busy."""
    async with ctx.server(target, queue_max=20) as server:
        await server.wait_healthy(ctx.client)
        sampler = Sampler(server)
        try:
            # Idle as after a start-up (or after CPU_PROCESS_IDLE_SECONDS without work): before any job.
            await server.settle()
            ctx.results.add(target, "memory.idle_mb", server.rss_mb()[0])
            first = ctx.plan.classes["short"][0]
            await summary_run(ctx, server, target, ctx.transcripts.alias(first), "summary.first", sampler)
            job_id = await summaries(ctx, server, target, sampler)
            await cache_hits(ctx, server, target, job_id)
            await acks_idle(ctx, server, target)
            await acks_busy(ctx, server, target)
        finally:
            sampler.close()


async def summaries(ctx: Context, server: Server, target: str, sampler: Sampler) -> str:
    """Warm summary cost per class; the baseline runs each long video once (minutes at 0.1 CPU)."""
    job_id = ""
    for name, videos in ctx.plan.classes.items():
        if target == "baseline" and name == "long":
            videos = ctx.plan.baseline_long
        repeats = 1 if target == "baseline" and name == "long" else ctx.plan.warm_repeats
        for video in videos:
            for _ in range(repeats):
                alias = ctx.transcripts.alias(video)
                job_id = await summary_run(ctx, server, target, alias, f"summary.{name}", sampler) or job_id
                if not job_id:
                    continue
                if video == LONGEST:
                    ctx.results.add(
                        target,
                        "summary.3h5.cpu_per_h",
                        ctx.results.samples[target]["summary.long.cpu_per_h"][-1],
                    )
                    ctx.results.add(target, "memory.peak_3h5_mb", sampler.peak)
                if video == "eMlx5fFNoYc":
                    ctx.results.add(
                        target,
                        "summary.26m.cpu_per_h",
                        ctx.results.samples[target]["summary.medium.cpu_per_h"][-1],
                    )
    return job_id


async def cache_hits(ctx: Context, server: Server, target: str, job_id: str) -> None:
    """CPU ms per GET of a finished job and requests/s, in batches of `cache_gets` sequential requests."""
    if not job_id:
        ctx.results.notes.append(f"cache hits ({target}): not measured, no summary finished")
        return
    url = f"{server.url}/v1/summaries/{job_id}"
    for _ in range(3):
        cpu, began = server.cpu_seconds(), time.perf_counter()
        for _ in range(ctx.plan.cache_gets):
            (await ctx.client.get(url)).raise_for_status()
        wall = time.perf_counter() - began
        ctx.results.add(target, "cache.cpu_ms", (server.cpu_seconds() - cpu) * 1000 / ctx.plan.cache_gets)
        ctx.results.add(target, "cache.rps", ctx.plan.cache_gets / wall)


async def acks_idle(ctx: Context, server: Server, target: str) -> None:
    """Telegram and Discord acks one after another, 0.1 s apart, nothing else running."""
    acks = Acks(ctx, server)
    samples = ctx.plan.baseline_ack_samples if target == "baseline" else ctx.plan.ack_samples
    for platform in ("telegram", "discord"):
        for _ in range(samples):
            ms = await acks.send(platform, ACK_VIDEO)
            if not acks.available[platform]:
                ctx.results.unavailable[target].add(f"ack.{platform}")
                break
            if ms is not None:
                ctx.results.add(target, f"ack.{platform}.idle_ms", ms)
            await asyncio.sleep(0.1)


async def acks_busy(ctx: Context, server: Server, target: str) -> None:
    """Acks sent every 0.25 s while long transcripts are summarized (until they are done)."""
    acks = Acks(ctx, server)
    videos: tuple[str, ...] = BUSY_VIDEOS if target == "real" else BUSY_VIDEOS[:1]
    if not ctx.plan.baseline_long and target == "baseline":
        videos = ctx.plan.classes["short"][:1]
    busy = [asyncio.create_task(_summarize(ctx, server, ctx.transcripts.alias(v))) for v in videos]
    samples = ctx.plan.baseline_busy_samples if target == "baseline" else ctx.plan.busy_samples
    await asyncio.sleep(0.1)  # the work has started
    sent: list[tuple[str, asyncio.Task[float | None]]] = []
    for i in range(2 * samples):
        platform = ("telegram", "discord")[i % 2]
        if acks.available[platform]:
            sent.append((platform, asyncio.create_task(acks.send(platform, ACK_VIDEO, SUMMARY_TIMEOUT))))
        await asyncio.sleep(0.25)
        if all(task.done() for task in busy):
            break
    for platform, task in sent:
        if (ms := await task) is not None:
            ctx.results.add(target, f"ack.{platform}.busy_ms", ms)
    await asyncio.gather(*busy)


async def _summarize(ctx: Context, server: Server, video_id: str) -> None:
    job, began = await submit(ctx, server, video_id)
    if job is not None:
        await follow(ctx, server, job, began)


async def memory_full_queue(ctx: Context, target: str) -> None:
    """Peak RSS with the 3.5-hour video running and the queue full behind it (the real service)."""
    async with ctx.server(target) as server:
        await server.wait_healthy(ctx.client)
        await server.settle()
        sampler = Sampler(server)
        try:
            job, began = await submit(ctx, server, ctx.transcripts.alias(LONGEST))
            if job is None:
                ctx.results.notes.append(f"memory with a full queue ({target}): the 3.5 h job was refused")
                return
            await running(ctx, server)  # a shared queue's worker takes it at its next poll (--redis)
            burst = [
                await submit(ctx, server, ctx.transcripts.alias(CLASSES["medium"][0]))  # refusals counted
                for _ in range(ctx.plan.queue_max)
            ]
            ctx.results.add(target, "memory.burst_refused", sum(job is None for job, _ in burst))
            await follow(ctx, server, job, began)
            ctx.results.add(target, "memory.peak_mb", max(sampler.peak, server.rss_mb()[0]))
            ctx.results.add(target, "memory.peak_hwm_mb", server.rss_mb()[1])
            if server.group:
                ctx.results.add(target, "memory.cgroup_peak_mb", server.group.peak_mb())
        finally:
            sampler.close()


async def running(ctx: Context, server: Server) -> None:
    """Wait (up to 30 s) until the service runs a job, so that it no longer counts as waiting."""
    for _ in range(300):
        if (await ctx.client.get(f"{server.url}/readyz")).json()["queue"]["running"]:
            return
        await asyncio.sleep(0.1)


async def flood(ctx: Context, target: str) -> None:
    """10x QUEUE_MAX Telegram webhooks (new chats, new videos), 20 in flight, like Telegram's deliveries."""
    n = 10 * ctx.plan.queue_max
    chats = {900_000 + i: ctx.transcripts.alias(CLASSES["short"][0]) for i in range(n)}
    async with ctx.server(target) as server:
        await server.wait_healthy(ctx.client)
        await server.settle()
        acks, gate = Acks(ctx, server), asyncio.Semaphore(20)

        async def one(chat: int, video: str) -> None:
            async with gate:
                ms, failure = await acks.post("telegram", video, ctx.plan.flood_timeout, chat)
                if ms is not None:
                    ctx.results.add(target, "flood.ack_ms", ms)
                elif failure is not None:  # timed out, reset, an HTTP error: Telegram would redeliver
                    acks.failed("telegram", failure)
                    ctx.results.add(target, "flood.timed_out" if "Timeout" in failure else "flood.failed", 1)

        await asyncio.gather(*(one(chat, video) for chat, video in chats.items()))
        if not acks.available["telegram"]:
            ctx.results.unavailable[target].add("flood")
            return
        results = ctx.results
        results.add(target, "flood.sent", n)
        results.add(target, "flood.acked", len(results.samples[target].get("flood.ack_ms", [])))
        if target == "real":
            await _account(ctx, server, target, chats)
        if server.group:
            results.add(target, "flood.oom_kills", server.group.oom_kills())
        results.add(target, "flood.alive", float(server.process.poll() is None))


async def _account(ctx: Context, server: Server, target: str, chats: dict[int, str]) -> None:
    """Once the queue has drained: a chat told "busy" was refused; any other video must now be cached."""
    deadline = time.perf_counter() + ctx.plan.drain_timeout
    while time.perf_counter() < deadline:
        queue = (await ctx.client.get(f"{server.url}/readyz")).json()["queue"]
        if queue["waiting"] == 0 and queue["running"] == 0:
            break
        await asyncio.sleep(2)
    await asyncio.sleep(1)  # the last replies reach the fake
    counts = dict.fromkeys(("refused", "silent", "finished", "lost"), 0)
    for chat, video in chats.items():
        texts = ctx.fake.texts.get(chat, [])
        if texts and "busy" in texts[0].lower():
            counts["refused"] += 1
            continue
        counts["silent"] += not texts
        response = await ctx.client.post(f"{server.url}/v1/summaries", json={"url": link(video)})
        done = response.status_code == 200 and response.json().get("status") == "done"
        counts["finished" if done else "lost"] += 1  # not cached: never finished
    for name, count in counts.items():
        ctx.results.add(target, f"flood.{name}", count)
    ctx.results.add(target, "flood.accepted", len(chats) - counts["refused"])


async def discord_flood(ctx: Context, target: str) -> None:
    """10x QUEUE_MAX `/summarize` interactions (distinct users and videos), 20 in flight, as in `flood`."""
    n = 10 * ctx.plan.queue_max
    async with ctx.server(target) as server:
        await server.wait_healthy(ctx.client)
        await server.settle()
        acks, gate = Acks(ctx, server), asyncio.Semaphore(20)

        async def one(user: int) -> None:
            async with gate:
                video = ctx.transcripts.alias(CLASSES["short"][0])
                if (ms := await acks.send("discord", video, ctx.plan.flood_timeout, user)) is not None:
                    ctx.results.add(target, "flood.discord.ack_ms", ms)

        await asyncio.gather(*(one(800_000 + i) for i in range(n)))
        if not acks.available["discord"]:
            ctx.results.unavailable[target].add("flood.discord")


SCENARIOS: dict[str, Callable[[Context, str], Awaitable[None]]] = {
    "cold start": cold_start,
    "summaries, cache, acks": main_server,
    "memory with a full queue": memory_full_queue,
    "flood": flood,
    "discord flood": discord_flood,
}
