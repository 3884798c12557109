"""Takeover: a job interrupted by a shutdown is finished by the next process, and shown where it was shown.

With REDIS_URL a job's sinks (a Telegram message, a Discord interaction response, a REST callback) are kept
with the job in Redis. When the process showing a job stops mid-job (lifespan exit, as on SIGTERM), the
next process on the same Redis resumes the job (only the chunks not done yet) and shows it in the same
sink: it edits the same Telegram message and the same Discord response, and POSTs the callback once.
A Redis that dies mid-job loses no job either: they go on in memory, and the shared queue is used again
once Redis is back.

Everything is real: Redis (tests/conftest.py), the apps under uvicorn, local Bot API and Discord servers
and a local callback receiver (summarizer/backends/redis.py, redis_store.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from arq.constants import default_queue_name, in_progress_key_prefix
from nacl.signing import SigningKey

from api.main import create_app
from core.config import Settings
from summarizer.backends.redis import RedisBackend
from summarizer.backends.redis_keys import LIVE, job_key, sinks_key
from summarizer.backends.redis_store import RedisJobStore, job_state
from summarizer.cache import memory_cache, pack
from summarizer.cpu_process import InlineRunner, Runner
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Job
from summarizer.sinks import Sink, TelegramSink
from tests.support.callbacks import SECRET, Receiver, verify
from tests.support.data import MEDIUM, SHORT, TRANSCRIPTS
from tests.support.discord_service import APP, edits, expected_lines, followups, is_final, lines_of
from tests.support.discord_service import Service as DiscordService
from tests.support.fake_discord import FakeDiscord
from tests.support.fake_telegram import Call, FakeTelegram
from tests.support.redis_mode import checkpointed, lives, redis_client, saved_status, worker
from tests.support.rest import finished
from tests.support.runners import CountingRunner
from tests.support.servers import DyingRedis, RedisServer, serve
from tests.support.telegram_service import Service as TelegramService
from tests.support.telegram_service import message, telegram_settings
from tests.support.waiting import eventually

# aiocache 0.12 calls redis-py's `close`, deprecated since redis-py 5.0.1 (for `aclose`).
pytestmark = [
    pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning"),
    pytest.mark.usefixtures("fast_pacing"),
]

# A dead process's jobs are claimed within a second; workers ask the shared queue every 0.1 s.
FAST: dict[str, Any] = {"job_lease_seconds": 1.0, "queue_poll_seconds": 0.1}
SHORT_A = "--7Dd2sAwPA"  # 3 min, 1 chunk
SHORT_B = "--dnfTaoXKM"  # 6 min, 2 chunks
STOP_WITHIN = 20.0  # seconds: a lifespan exit takes well under one
HANG_AFTER = 5.0  # seconds: stopping the engine takes milliseconds


def rest_settings(redis_url: str, **overrides: Any) -> Settings:
    return Settings(redis_url=redis_url, transcript_dir=str(TRANSCRIPTS), **FAST, **overrides)


@asynccontextmanager
async def process(settings: Settings, runner: Runner) -> AsyncIterator[httpx.AsyncClient]:
    """One service process (the app under uvicorn, lifespan included) and a client for it; leaving the
    block is the SIGTERM path: lifespan exit, which must end (a hung shutdown fails the test)."""
    async with asyncio.timeout(None) as stopping:
        try:
            async with (
                serve(create_app(settings, runner)) as url,
                httpx.AsyncClient(base_url=url, timeout=30) as client,
            ):
                try:
                    yield client
                finally:
                    stopping.reschedule(asyncio.get_running_loop().time() + STOP_WITHIN)
        except TimeoutError:
            if stopping.expired():
                pytest.fail(f"the process did not stop within {STOP_WITHIN} s of its lifespan exit")
            raise


async def shown_job(redis_url: str) -> str:
    """The id of the one live job in Redis, once its sink is kept with it."""
    async with redis_client(redis_url) as client:

        async def check() -> str | None:
            live = await client.smembers(LIVE)
            if len(live) != 1:
                return None
            job_id = next(iter(live)).decode()
            return job_id if await client.llen(sinks_key(job_id)) == 1 else None

        return await eventually(check, "one live job with its sink in Redis")


async def interrupted(
    redis_url: str, settings: Settings, start: Callable[[httpx.AsyncClient], Awaitable[None]]
) -> str:
    """Run a first process whose runner does 2 of the job's 6 chunks; `start(client)` submits the job.
    The process stops (lifespan exit) once the 2 chunks are checkpointed; the job's id."""
    runner = CountingRunner(gated=True)
    async with process(settings, runner) as client:
        await start(client)
        job_id = await shown_job(redis_url)
        runner.release(2)
        await checkpointed(redis_url, job_id, 2)
    assert runner.calls == 2
    assert await saved_status(redis_url, job_id, "running")  # unfinished: left for the next process
    return job_id


async def test_telegram_the_next_process_edits_the_same_message_to_the_summary(redis_url: str) -> None:
    """A link sent by webhook to process #1, which stops after 2 of 6 chunks: process #2 summarizes only
    the 4 chunks left and edits the very message process #1 sent (its message_id) into the summary; no
    second "working on it" message is sent (continuations of a long summary reply to that message)."""
    msg = message(f"https://youtu.be/{MEDIUM}")
    async with FakeTelegram().running() as fake:
        settings = telegram_settings(fake, redis_url=redis_url, **FAST)

        placeholders: list[Call] = []

        async def start(client: httpx.AsyncClient) -> None:
            first = TelegramService(client, fake)
            await first.send(msg)
            placeholders.extend(await first.replies_to(msg))

        job_id = await interrupted(redis_url, settings, start)
        [placeholder] = placeholders
        assert placeholder.message_id is not None
        sent_before, edits_before = len(fake.called("sendMessage")), len(fake.called("editMessageText"))
        assert "Key points" not in fake.text(placeholder)

        runner = CountingRunner()
        async with process(settings, runner) as client:
            second = TelegramService(client, fake)
            summary = await second.summary(placeholder)
            done = await finished(client, job_id)
    assert runner.calls == 4
    assert [c["index"] for c in done["chunks"]] == list(range(6)) and done["tldr"]
    assert second.sent_in_reply(msg) == [placeholder]
    assert sent_before == 1
    continuations = fake.called("sendMessage")[sent_before:]
    assert all(c.params["reply_parameters"]["message_id"] == placeholder.message_id for c in continuations), (
        "process #2 sent a new message that is not a continuation of the summary"
    )
    later_edits = fake.called("editMessageText")[edits_before:]
    assert later_edits, "process #2 never edited the message"
    assert {(int(c.params["chat_id"]), int(c.params["message_id"])) for c in later_edits} == {
        (msg.chat.id, placeholder.message_id)
    }
    assert f"youtu.be/{MEDIUM}?t=" in summary


async def test_telegram_a_job_finished_while_no_web_process_showed_it_is_shown_by_the_next(
    redis_url: str,
) -> None:
    """A worker elsewhere finishes the job after the web process that took the link has stopped: the job
    stays live in Redis until a web process shows it, and the next one edits the same message into the
    summary (the worker summarized every chunk once; the job then leaves `jobs:live`)."""
    msg = message(f"https://youtu.be/{MEDIUM}")
    async with FakeTelegram().running() as fake:
        settings = telegram_settings(fake, redis_url=redis_url, run_worker=False, **FAST)
        runner = CountingRunner(gated=True)
        async with worker(settings, runner):
            async with process(settings, CountingRunner()) as client:
                first = TelegramService(client, fake)
                await first.send(msg)
                [placeholder] = await first.replies_to(msg)
                job_id = await shown_job(redis_url)
                runner.release(2)
                await checkpointed(redis_url, job_id, 2)
            edits_before = len(fake.called("editMessageText"))
            runner.release(4)

            async def done() -> bool:
                return await saved_status(redis_url, job_id, "done")

            await eventually(done, "the worker finishes the job")
            async with redis_client(redis_url) as redis:
                assert await redis.sismember(LIVE, job_id)  # not shown yet: kept live
                async with process(settings, CountingRunner()) as client:
                    summary = await TelegramService(client, fake).summary(placeholder)

                    async def no_longer_live() -> bool:
                        return not await redis.sismember(LIVE, job_id)

                    await eventually(no_longer_live, "the shown job leaves jobs:live")
    assert runner.calls == 6
    assert fake.called("editMessageText")[edits_before:], "the next process never edited the message"
    assert f"youtu.be/{MEDIUM}?t=" in summary


async def test_discord_the_next_process_edits_the_same_original_response(redis_url: str) -> None:
    """A /summarize interaction answered (deferred) by process #1, which stops after 2 of 6 chunks:
    process #2 summarizes only the 4 chunks left and PATCHes the same interaction's original response
    (`/webhooks/{application_id}/{token}/messages/@original`) into the summary, whose overflow follows as
    follow-ups of that same interaction."""
    key = SigningKey.generate()
    fake = FakeDiscord()
    token = "tok-takeover"
    original = f"/webhooks/{APP}/{token}/messages/@original"
    async with serve(fake.app) as fake_url:
        settings = rest_settings(
            redis_url,
            discord_public_key=key.verify_key.encode().hex(),
            discord_api_base_url=f"{fake_url}/api/v10",
        )

        async def start(client: httpx.AsyncClient) -> None:
            answer = await DiscordService(client, fake, key).summarize(f"https://youtu.be/{MEDIUM}", token)
            assert answer == {"type": 5}

        job_id = await interrupted(redis_url, settings, start)
        before = len(fake.calls)
        assert not any(map(is_final, edits(fake, token)))

        runner = CountingRunner()
        async with process(settings, runner) as client:
            await fake.wait_for(lambda f: any(map(is_final, edits(f, token))))
            done = await finished(client, job_id)
            # The summary's overflow goes out after the final edit: all of its points, then no more calls.
            await fake.wait_for(
                lambda f: (
                    len(lines_of([edits(f, token)[-1].body] + [c.body for c in followups(f, token)]))
                    >= len(expected_lines(done))
                )
            )
    assert runner.calls == 4
    later = fake.calls[before:]
    assert {(c.method, c.path) for c in later} <= {("PATCH", original), ("POST", f"/webhooks/{APP}/{token}")}
    assert all(c.status < 300 for c in later)
    final = edits(fake, token)[-1]
    assert final in later and is_final(final)
    assert lines_of([final.body] + [c.body for c in followups(fake, token)]) == expected_lines(done)


def callback_settings(redis_url: str) -> Settings:
    """Signed callbacks, allowed to the local receiver."""
    return rest_settings(
        redis_url, callback_secret=SECRET, callback_allow_hosts=["127.0.0.1"], callback_allow_http=True
    )


def submit_with_callback(hook: str) -> Callable[[httpx.AsyncClient], Awaitable[None]]:
    """What starts the interrupted job: a REST submission of the 6-chunk video with `hook` as callback."""

    async def start(client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/summaries", json={"url": MEDIUM, "callback_url": hook})
        assert response.status_code == 202

    return start


async def test_rest_callback_is_posted_once_by_the_next_process(redis_url: str) -> None:
    """A job with a callback_url on process #1, which stops after 2 of 6 chunks (before any callback):
    process #2 finishes the job with the 4 chunks left and POSTs the finished job to the callback URL
    exactly once, signed; GET /v1/summaries/{id} on process #2 shows that delivery as `delivered`."""
    receiver = Receiver([200])
    async with serve(receiver.app()) as receiver_url:
        hook = f"{receiver_url}/hook"
        settings = callback_settings(redis_url)
        job_id = await interrupted(redis_url, settings, submit_with_callback(hook))
        assert receiver.calls == []

        runner = CountingRunner()
        async with process(settings, runner) as client:
            done = await finished(client, job_id)

            async def delivered() -> dict[str, Any] | None:
                job = (await client.get(f"/v1/summaries/{job_id}")).json()
                return job if job["callbacks"][0]["state"] != "pending" else None

            shown = await eventually(delivered, "the callback is no longer pending")
    assert runner.calls == 4
    assert shown["callbacks"] == [{"url": hook, "state": "delivered", "attempts": 1, "last_error": None}]
    [(headers, body)] = receiver.calls
    assert verify(headers, body)
    posted = json.loads(body)
    assert (posted["id"], posted["status"]) == (job_id, "done")
    assert (posted["chunks"], posted["tldr"]) == (done["chunks"], done["tldr"])


async def test_a_sink_this_version_cannot_read_does_not_stop_the_takeover(redis_url: str) -> None:
    """A sink of a kind this version does not know (kept by a newer process, say) is skipped with a
    warning: the job is still resumed and its other sinks shown (here, its callback is POSTed once)."""
    receiver = Receiver([200])
    async with serve(receiver.app()) as receiver_url:
        hook = f"{receiver_url}/hook"
        settings = callback_settings(redis_url)
        job_id = await interrupted(redis_url, settings, submit_with_callback(hook))
        async with redis_client(redis_url) as redis:
            unknown = {"kind": "matrix", "room": "!r:example.org", "owner": "0123456789abcdef"}
            await redis.rpush(sinks_key(job_id), pack(unknown))

        runner = CountingRunner()
        async with process(settings, runner) as client:
            await finished(client, job_id)

            async def posted() -> bool:
                return bool(receiver.calls)

            await eventually(posted, "the callback is POSTed")
    assert runner.calls == 4
    assert len(receiver.calls) == 1


async def readyz(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/readyz")
    assert response.status_code == 200
    ready: dict[str, Any] = response.json()
    return ready


async def taken_from_the_shared_queue(redis_url: str, job_id: str) -> None:
    """Wait until `job_id` is an arq job of the shared queue that a worker has taken (and not finished)."""
    async with redis_client(redis_url) as redis:
        queued = [m.decode() for m in await redis.zrange(default_queue_name, 0, -1)]
        assert [m for m in queued if m.split(":")[0] == job_id], f"{job_id} not in the shared queue: {queued}"

        async def taken() -> bool:
            return bool(await redis.keys(f"{in_progress_key_prefix}{job_id}:*"))

        # A worker polls again with a backoff of up to 30 s after a Redis error.
        await eventually(taken, f"a worker takes {job_id} from the shared queue", tries=3000)


async def test_redis_dying_mid_job_loses_no_job_and_the_shared_queue_comes_back(
    own_redis: RedisServer,
) -> None:
    """Redis is killed while a job runs from the shared queue: the job still finishes and GET answers;
    a new request while Redis is down is accepted, runs in this process and finishes; /readyz reports
    `redis` degraded. Once Redis is back, /readyz no longer does; a new job goes through the shared queue
    again and is checkpointed in Redis as done; and this process's worker polls the queue again: it runs
    a job that another (web-only) process admitted."""
    runner = CountingRunner(gated=True)
    async with process(rest_settings(own_redis.url), runner) as client:
        first = (await client.post("/v1/summaries", json={"url": MEDIUM})).json()
        runner.release(2)
        await checkpointed(own_redis.url, first["id"], 2)

        own_redis.kill()
        runner.release(4)
        done = await finished(client, first["id"])
        assert [c["index"] for c in done["chunks"]] == list(range(6)) and done["tldr"]

        during = await client.post("/v1/summaries", json={"url": SHORT_A})
        assert during.status_code == 202, during.text
        runner.release(1)
        assert (await finished(client, during.json()["id"]))["tldr"]
        assert "redis" in (await readyz(client))["degraded"]
        assert runner.calls == 7

        own_redis.start()

        async def redis_ok() -> bool:
            return "redis" not in (await readyz(client))["degraded"]

        await eventually(redis_ok, "/readyz no longer reports redis degraded", tries=2000)
        after = await client.post("/v1/summaries", json={"url": SHORT_B})
        assert after.status_code == 202, after.text
        job_id = after.json()["id"]
        await taken_from_the_shared_queue(own_redis.url, job_id)
        runner.release(2)
        assert (await finished(client, job_id))["tldr"]
        await eventually(lambda: saved_status(own_redis.url, job_id, "done"), "the job is saved as done")
        assert runner.calls == 9

        web_only = CountingRunner()
        async with process(rest_settings(own_redis.url, run_worker=False), web_only) as other:
            elsewhere = (await other.post("/v1/summaries", json={"url": SHORT})).json()
            await taken_from_the_shared_queue(own_redis.url, elsewhere["id"])
            runner.release(2)
            assert (await finished(other, elsewhere["id"]))["tldr"]
    assert (runner.calls, web_only.calls) == (11, 0)


async def test_jobs_are_still_taken_over_after_redis_was_away(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis is gone for a few takeover rounds (one per lease), then back, empty (it restarted): a job that
    a process now gone left there afterwards (saved and live, neither leased nor queued) is still taken
    over and finished. The outage is one line of the takeover's, not one per round."""
    runner = CountingRunner()
    async with process(rest_settings(own_redis.url), runner) as client:
        with caplog.at_level(logging.WARNING, logger="summarizer.backends.redis"):
            own_redis.kill()
            await asyncio.sleep(3 * FAST["job_lease_seconds"])  # (not an assert: a shorter outage tests less)
            own_redis.start()
        orphan = Job(SHORT_A, ("en",), "ip:1")
        async with redis_client(own_redis.url) as redis:
            await redis.hset(job_key(orphan.id), "state", pack(job_state(orphan)))
            await redis.sadd(LIVE, orphan.id)
        # Found by a takeover round, queued again; this process's worker polls again within a few seconds.
        await eventually(
            lambda: saved_status(own_redis.url, orphan.id, "done"), "the orphan is finished", 2000
        )
        assert (await client.get(f"/v1/summaries/{orphan.id}")).json()["tldr"]
    assert runner.calls == 1
    assert len([r for r in caplog.records if "takeover" in r.getMessage()]) == 1


def web_process(redis_url: str, shown: list[tuple[str, Sink]]) -> RedisBackend:
    """The jobs backend of a web process on `redis_url` that runs no job (no worker), with a takeover round
    at its start and none after within a test (one per lease): each sink it takes over is added to `shown`,
    as it starts showing the job there."""

    async def run(job: Job) -> None:
        raise AssertionError(f"job {job.id} run by a process without a worker")

    settings = Settings(redis_url=redis_url, run_worker=False, job_lease_seconds=60.0)
    cache = memory_cache(max_keys=16, max_bytes=1 << 20, summary_ttl=60, transcript_ttl=60, negative_ttl=60)
    return RedisBackend(settings, run, lambda job, sink: shown.append((job.id, sink)), cache=cache)


async def left_by_a_process_gone(redis_url: str) -> list[tuple[str, Sink]]:
    """Jobs a process now gone (it never beat, as after kill -9) showed: two to be run again, one of them in
    two chats, and one that a worker finished while nobody showed it. Each job's id with each of its sinks."""
    waiting, twice, done = (Job(video, ("en",), "ip:1") for video in (SHORT_A, SHORT_B, MEDIUM))
    done.fail(SummaryError("no_transcript"))
    sinks: list[tuple[str, Sink]] = [
        (waiting.id, TelegramSink(1, 10, "Working on it…")),
        (twice.id, TelegramSink(2, 20, "Working on it…")),
        (twice.id, TelegramSink(3, 30, "Working on it…")),
        (done.id, TelegramSink(4, 40, "Working on it…")),
    ]
    gone = RedisJobStore(redis_url, 60, 60.0)
    try:
        for job in (waiting, twice, done):
            await gone.save(job)
        for job_id, sink in sinks:
            await gone.add_sink(job_id, sink)  # (the finished job is live again: shown nowhere yet)
    finally:
        await gone.close()
    return sinks


async def test_wherever_redis_dies_in_a_takeover_each_orphaned_job_is_shown_once(
    redis_server: RedisServer, redis_url: str
) -> None:
    """Redis dies at each point of a process's first takeover round in turn (after its first answer, its
    second, ...: tests/support/servers.py `DyingRedis`): each sink of the jobs a process now gone left is
    then shown once, by the process that took it over (which lives on) or by the next: none is taken over by
    a process that never shows it (the chat message never edited into the summary)."""
    for answers in itertools.count(1):
        async with redis_client(redis_url) as redis:
            await redis.flushdb()
        sinks = await left_by_a_process_gone(redis_url)
        shown: list[tuple[str, Sink]] = []
        async with DyingRedis(redis_server.port, answers) as dying:
            taking = web_process(dying.url, shown)
            await lives(redis_url, taking.store)  # (its heartbeat would go through the Redis that dies)
            await taking.start()
        await taking.stop()  # (through the Redis that died: it lives on, with what it took)
        following = web_process(redis_url, shown)
        await following.start()
        await following.stop()
        assert sorted(shown, key=str) == sorted(sinks, key=str), f"Redis dying after {answers} answers"
        if not dying.died:  # the round ended before Redis would have died: every point was tried
            break


async def test_an_unreadable_job_or_sink_is_dropped_and_the_others_still_taken_over(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Beside the jobs a process now gone left, entries that cannot be read (another version's, or damaged):
    a job whose state is not packed, one whose state lacks its fields, and, in a good job's sinks, an entry
    that is not packed and one without its process's token. Each is dropped with one warning (a second
    process finds none of them), and every good job's sink is shown, once."""
    sinks = await left_by_a_process_gone(redis_url)
    good = sinks[0][0]
    async with redis_client(redis_url) as redis:
        await redis.hset(job_key("damaged"), "state", b"not a job")
        await redis.hset(job_key("other"), "state", pack({"id": "other", "status": "queued"}))
        await redis.sadd(LIVE, "damaged", "other")
        await redis.rpush(sinks_key(good), b"not a sink", pack({"kind": "telegram", "chat_id": 5}))
        shown: list[tuple[str, Sink]] = []
        first, second = web_process(redis_url, shown), web_process(redis_url, shown)
        with caplog.at_level(logging.WARNING):
            await first.start()
            await second.start()  # (the first lives: it shows what it took)
            await first.stop()
            await second.stop()
        assert sorted(shown, key=str) == sorted(sinks, key=str)
        unreadable = [r.getMessage() for r in caplog.records if "unreadable" in r.getMessage()]
        whose = sorted(message.split(" is unreadable")[0].split(": a sink")[0] for message in unreadable)
        assert whose == sorted(["job damaged", "job other", f"job {good}", f"job {good}"]), unreadable
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no round failed
        assert not {b"damaged", b"other"} & await redis.smembers(LIVE)
        assert await redis.llen(sinks_key(good)) == 1


def innermost_frame(task: asyncio.Task[Any]) -> types.FrameType | None:
    """The frame `task` is suspended in, following its chain of awaited coroutines."""
    awaited: Any = task.get_coro()
    frame = None
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "ag_frame", None) or frame
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "ag_await", None)
    return frame


async def as_a_redis_send_finishes(task: asyncio.Task[Any]) -> bool:
    """Return True at the moment `task` waits in `asyncio.wait_for` around a Redis send that has just
    finished (redis-py sends each command under `wait_for` when a socket timeout is set); False when that
    was never seen within 5 s. On Python 3.11 a cancellation arriving at that moment is swallowed:
    wait_for returns the send's result and the task goes on (CPython gh-86296)."""
    deadline = asyncio.get_running_loop().time() + 5
    while asyncio.get_running_loop().time() < deadline:
        frame = innermost_frame(task)
        if frame is not None and frame.f_code is asyncio.wait_for.__code__:
            sent = frame.f_locals.get("fut")
            if isinstance(sent, asyncio.Future) and sent.done():
                return True
        await asyncio.sleep(0)
    return False


@pytest.mark.parametrize("task_name", ["claim-orphans", "queue-worker"])
async def test_a_shutdown_arriving_as_a_redis_send_finishes_still_ends(
    redis_url: str, task_name: str
) -> None:
    """The SIGTERM path ends even when its cancellation reaches a background task of the engine just as
    one of its Redis commands has been sent: Engine.stop() (for the task that claims orphans) and
    SharedQueue.close() (for the arq worker; what lifespan exit calls for it) must not wait for that task
    for ever. The takeover tests above hung this way now and then, in the lifespan exit."""
    engine = Engine.from_settings(rest_settings(redis_url), InlineRunner())
    await engine.start()
    assert isinstance(engine.jobs, RedisBackend)
    shared = engine.jobs.queue
    task = next(t for t in asyncio.all_tasks() if t.get_name() == task_name)
    if not await as_a_redis_send_finishes(task):
        await engine.stop()
        pytest.skip(f"{task_name} was never seen waiting in wait_for around a finished Redis send")
    stop = engine.stop() if task_name == "claim-orphans" else shared.close()
    stopped = False
    try:
        async with asyncio.timeout(HANG_AFTER):
            await stop  # cancels `task` before its first await
        stopped = True
    except TimeoutError:
        pytest.fail(f"stopping hung: the {task_name} task swallowed its cancellation and went on")
    finally:
        if task_name == "queue-worker" or not stopped:  # the rest of the engine, or what the hang left
            await engine.stop()
    assert task.done()
