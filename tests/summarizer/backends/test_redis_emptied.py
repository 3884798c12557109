"""Redis restarting empty (the free Key Value keeps nothing): no job is lost. The web process that shows a
waiting job queues it again, with everything its submission wrote (state, sinks, deliveries, admission,
queue entry); the runner of a running job saves it again whole (its inline transcript too). Either job then
survives the death of those processes as a freshly submitted one does: the next processes run it and show
it where it was shown (issue 17)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.main import create_app
from core.config import Settings
from summarizer.backends.redis_keys import LIVE, job_key, sinks_key
from summarizer.cpu_process import InlineRunner, Runner
from tests.support.callbacks import SECRET, Receiver, verify
from tests.support.data import MEDIUM, SHORT, TRANSCRIPTS
from tests.support.fake_telegram import FakeTelegram
from tests.support.redis_mode import checkpointed, redis_client, saved_status, worker
from tests.support.rest import finished
from tests.support.runners import CountingRunner
from tests.support.servers import serve
from tests.support.telegram_service import Service as TelegramService
from tests.support.telegram_service import message, telegram_settings
from tests.support.waiting import eventually

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache 0.12

INLINE_ID = "dQw4w9WgXcQ"  # a video with no caption file here: only its inline transcript summarizes it


def emptied_settings(redis_url: str, **overrides: Any) -> Settings:
    """Takeover rounds every 0.5 s; signed callbacks, allowed to the local receiver."""
    return Settings(
        redis_url=redis_url,
        transcript_dir=str(TRANSCRIPTS),
        job_lease_seconds=0.5,
        queue_poll_seconds=0.1,
        callback_secret=SECRET,
        callback_allow_hosts=["127.0.0.1"],
        callback_allow_http=True,
        **overrides,
    )


@asynccontextmanager
async def web(settings: Settings, runner: Runner | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """A web process (runs no job itself) under uvicorn, and a client; leaving the block stops it."""
    app = create_app(settings.model_copy(update={"run_worker": False}), runner or InlineRunner())
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        yield client


async def empty_redis(redis_url: str) -> None:
    async with redis_client(redis_url) as redis:
        await redis.flushdb()  # the Key Value restarted empty


async def queued_again(redis_url: str, job_id: str) -> None:
    """Wait until the job's web process has queued it again (its queue entry is written last)."""
    async with redis_client(redis_url) as redis:

        async def entry() -> bool:
            return await redis.hget(job_key(job_id), "queued_as") is not None

        await eventually(entry, "the job queued again")


async def posted_once(receiver: Receiver, job_id: str) -> dict[str, Any]:
    """The one callback POSTed, signed, for `job_id` (waited for)."""

    async def posted() -> bool:
        return bool(receiver.calls)

    await eventually(posted, "the callback is POSTed")
    [(headers, body)] = receiver.calls
    assert verify(headers, body)
    job: dict[str, Any] = json.loads(body)
    assert job["id"] == job_id
    return job


async def test_a_waiting_job_redis_forgot_is_queued_again_and_finishes(redis_url: str) -> None:
    settings = emptied_settings(redis_url)
    async with web(settings) as client:
        job = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        assert job["status"] == "queued" and await saved_status(redis_url, job["id"], "queued")
        await empty_redis(redis_url)

        async with worker(settings, InlineRunner()):
            done = await finished(client, job["id"])
        assert done["tldr"] and (await client.get("/readyz")).json()["queue"]["waiting"] == 0

        async def known_again() -> bool:
            return await saved_status(redis_url, job["id"], "done")

        await eventually(known_again, "the job saved again, done")


async def test_a_waiting_job_queued_again_survives_its_web_process(redis_url: str) -> None:
    """Redis empties while a job with a callback waits; its web process queues it again, then stops. A
    worker and another web process started later run it and POST its callback, once: what Redis lost was
    written again whole (the sink, the admission: the same video asked again joins the job)."""
    receiver = Receiver([200])
    async with serve(receiver.app()) as receiver_url:
        hook = f"{receiver_url}/hook"
        settings = emptied_settings(redis_url)
        async with web(settings) as first:
            job_id = (await first.post("/v1/summaries", json={"url": SHORT, "callback_url": hook})).json()[
                "id"
            ]
            await empty_redis(redis_url)
            await queued_again(redis_url, job_id)
            again = await first.post("/v1/summaries", json={"url": SHORT})
            assert again.json()["id"] == job_id  # single-flight holds again

        async with worker(settings, InlineRunner()), web(settings) as second:
            done = await finished(second, job_id)
            posted = await posted_once(receiver, job_id)
    assert done["tldr"] and (posted["status"], posted["tldr"]) == ("done", done["tldr"])


@pytest.mark.usefixtures("fast_pacing")
async def test_telegram_a_waiting_job_queued_again_is_edited_into_its_summary_after_its_process_stops(
    redis_url: str,
) -> None:
    """The chat that would have stayed at "waiting for my turn": Redis empties while the job of a link
    sent to process #1 waits; #1 queues it again, then stops. A worker and process #2 started later run it,
    and #2 edits the very message #1 sent into the summary (no new message)."""
    msg = message(f"https://youtu.be/{SHORT}")
    async with FakeTelegram().running() as fake:
        settings = telegram_settings(fake, redis_url=redis_url, job_lease_seconds=0.5, queue_poll_seconds=0.1)
        async with web(settings) as client:
            first = TelegramService(client, fake)
            await first.send(msg)
            [placeholder] = await first.replies_to(msg)
            async with redis_client(redis_url) as redis:
                [job_id] = [raw.decode() for raw in await redis.smembers(LIVE)]
            await empty_redis(redis_url)
            await queued_again(redis_url, job_id)

        async with worker(settings, InlineRunner()), web(settings) as client:
            second = TelegramService(client, fake)
            summary = await second.summary(placeholder)
    assert f"youtu.be/{SHORT}?t=" in summary
    assert second.sent_in_reply(msg) == [placeholder]


async def test_a_running_job_redis_forgot_survives_its_worker_and_web_process(redis_url: str) -> None:
    """Redis empties while a worker runs a job with an inline transcript and a callback (2 of 6 chunks done):
    the worker saves it again whole and the web process lists its sink again, before any further chunk (with
    how its callback went). Both processes then stop; the next worker resumes at chunk 2 from the inline
    transcript (the video has no captions here) and the next web process POSTs the callback, once."""
    data = json.loads((TRANSCRIPTS / f"{MEDIUM}.json").read_text())
    transcript = {k: data[k] for k in ("language_code", "is_generated", "snippets")}
    receiver = Receiver([200])
    async with serve(receiver.app()) as receiver_url:
        settings = emptied_settings(redis_url)
        body = {"url": INLINE_ID, "transcript": transcript, "callback_url": f"{receiver_url}/hook"}
        runner = CountingRunner(gated=True)
        async with worker(settings, runner), web(settings) as first:
            job_id = (await first.post("/v1/summaries", json=body)).json()["id"]
            runner.release(2)
            await checkpointed(redis_url, job_id, 2)
            await empty_redis(redis_url)
            async with redis_client(redis_url) as redis:

                async def kept_again() -> bool:
                    fields = ("transcript", "callbacks")
                    return all(
                        [
                            *[await redis.hget(job_key(job_id), f) for f in fields],
                            await redis.llen(sinks_key(job_id)),
                        ]
                    )

                await eventually(kept_again, "the job's transcript, callbacks and sink in Redis again")
            await checkpointed(redis_url, job_id, 2)
        assert runner.calls == 2

        resumed = CountingRunner()
        async with worker(settings, resumed), web(settings) as second:
            done = await finished(second, job_id)
            posted = await posted_once(receiver, job_id)
    assert resumed.calls == 4
    assert done["video_id"] == INLINE_ID and [c["index"] for c in done["chunks"]] == list(range(6))
    assert posted["status"] == "done" and posted["tldr"] == done["tldr"]
