"""What a Discord interaction means, end to end: the real app under uvicorn, signed interactions, and a
real local fake of Discord's REST API receiving the deferred response's edits and follow-ups."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest

from bot.discord import DiscordClient
from core.config import Settings
from core.telemetry import DISCORD_TOKENS_EXPIRED
from handlers.discord import FIRST_EDIT_DELAY, Reply, deliver
from summarizer.engine import Engine
from tests.support.data import LONG, MEDIUM, SHORT, TRANSCRIPTS
from tests.support.discord_service import (
    APP,
    check_message,
    command,
    discord_service,
    edits,
    expected_lines,
    followups,
    is_final,
)
from tests.support.discord_service import lines_of as points_of
from tests.support.fake_discord import FakeDiscord
from tests.support.runners import GatedRunner
from tests.support.servers import GatedRedis, RedisServer, serve

CHAPTER_LINE = re.compile(r"^\[\d+(?::\d\d)+\u2013\d+(?::\d\d)+\]\(https://youtu\.be/[\w-]{11}\?t=\d+\) ")


# --- answers in the request ----------------------------------------------------------------------


async def test_unknown_commands_types_and_bad_input_get_a_polite_ephemeral_message() -> None:
    async with discord_service() as service:
        cases = {
            "unknown command": command(SHORT, name="weather"),
            "component click": {"type": 3, "id": "1", "application_id": APP, "token": "t", "data": {}},
            "invalid link": command("https://vimeo.com/123"),
            "no url": command(None),
            "bad language": command(SHORT, language="english!"),
        }
        for case, interaction in cases.items():
            response = await service.send(interaction)
            assert response.status_code == 200, case
            answer = response.json()
            assert answer["type"] == 4 and answer["data"]["flags"] == 64, case
            assert answer["data"]["content"] and answer["data"]["allowed_mentions"] == {"parse": []}, case
        answer = (await service.send(cases["invalid link"])).json()
        assert "youtu.be" in answer["data"]["content"]
        await asyncio.sleep(1.2)  # nothing was started in the background
        assert service.fake.calls == []


async def test_too_many_jobs_of_one_user_says_when_to_retry() -> None:
    runner = GatedRunner()
    async with discord_service(runner, max_jobs_per_requester=1) as service:
        assert await service.summarize(SHORT) == {"type": 5}
        refused = await service.summarize(MEDIUM, token="tok-2")
        assert refused["type"] == 4 and refused["data"]["flags"] == 64
        assert re.search(r"<t:\d+:R>", refused["data"]["content"])
        other_user = await service.summarize(MEDIUM, token="tok-3", user="43", in_guild=False)
        assert other_user == {"type": 5}
        runner.release(100)
        await service.fake.wait_for(lambda f: any(map(is_final, edits(f, "tok-3"))))


# --- the deferred flow ---------------------------------------------------------------------------


async def test_deferred_ack_then_live_edits_then_the_final_embed() -> None:
    runner = GatedRunner()
    async with discord_service(runner) as service:
        fake = service.fake
        assert await service.summarize(f"https://www.youtube.com/watch?v={MEDIUM}&t=10") == {"type": 5}

        await fake.wait_for(lambda f: len(edits(f)) >= 1)
        assert edits(fake)[0].body["content"].startswith(("Queued", "Working on"))
        runner.release()  # one chunk done: an edit shows its chapter while the rest waits
        await fake.wait_for(lambda f: any("1/6 parts" in c.body["content"] for c in edits(f)))
        progress = next(c for c in edits(fake) if "1/6 parts" in c.body["content"])
        assert progress.body["content"].startswith("Working on Visualizing Attention")
        topics, chapters = progress.body["embeds"][0]["description"].split("\n\n")
        assert topics.startswith("*") and topics.endswith("*")
        [chapter] = chapters.split("\n")
        assert CHAPTER_LINE.match(chapter) and "?t=0) " in chapter
        assert points_of([progress.body]) == []  # the points come with the summary

        runner.release(5)
        await fake.wait_for(lambda f: any(map(is_final, edits(f))))
        job = await service.rest_job(MEDIUM)
        await asyncio.sleep(0.5)  # time for a follow-up, if there were one

    final = edits(fake)[-1]
    assert is_final(final) and final.body["content"] == ""
    # The topics, the TL;DR and 6 chapters of 3 points fit in one message: no follow-up.
    [embed] = final.body["embeds"]
    assert embed["title"] == job["title"] and embed["url"] == f"https://www.youtube.com/watch?v={MEDIUM}"
    assert "footer" not in embed and followups(fake) == []
    assert "**TL;DR**" in embed["description"]
    assert [f["name"].rsplit(" (", 1)[0] for f in embed["fields"]] == [c["title"] for c in job["chunks"]]
    assert points_of([final.body]) == expected_lines(job) and len(expected_lines(job)) == 18
    for call in fake.calls:
        check_message(call.body)
        assert call.headers["user-agent"].startswith("DiscordBot (")
    gaps = [b.at - a.at for a, b in zip(edits(fake), edits(fake)[1:], strict=False) if not is_final(b)]
    assert all(gap >= 2.9 for gap in gaps)  # progress edits are coalesced to one per 3 s


async def test_a_long_summary_overflows_into_follow_ups_and_429_is_honored() -> None:
    async with discord_service() as service:
        fake = service.fake
        fake.rate_limit_next(0.2)  # the first call is rate limited
        assert await service.summarize(LONG) == {"type": 5}
        await fake.wait_for(lambda f: any(map(is_final, edits(f))) and len(followups(f)) >= 1)
        job = await service.rest_job(LONG)
        await fake.wait_for(
            lambda f: len(points_of([edits(f)[-1].body] + [c.body for c in followups(f)])) == 132
        )

        limited, retried = fake.calls[:2]
        assert limited.status == 429 and retried.status == 200 and retried.at - limited.at >= 0.2
        deferred = [edits(fake)[-1].body] + [c.body for c in followups(fake)]
        assert points_of(deferred) == expected_lines(job)
        assert len(deferred) > 2
        fields = [f for m in deferred for e in m["embeds"] for f in e.get("fields", [])]
        assert len(fields) == len(job["chunks"])  # a field per chapter, none split between messages

        # Now cached: the answer carries the first message, the rest follow as follow-ups.
        cached = await service.summarize(LONG, token="tok-2", user="43", in_guild=False)
        assert cached["type"] == 4 and "flags" not in cached["data"]
        await fake.wait_for(lambda f: len(followups(f, "tok-2")) == len(deferred) - 1)
        assert [cached["data"]] + [c.body for c in followups(fake, "tok-2")] == deferred
        assert edits(fake, "tok-2") == []
    for message in deferred:
        check_message(message)


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache's Redis close()
async def test_the_follow_ups_of_a_cached_summary_wait_from_its_answer_not_from_the_interaction(
    redis_url: str, redis_server: RedisServer
) -> None:
    """The cache is read through a Redis that answers late (about a second, as at 0.1 CPU): the follow-ups
    still wait `FIRST_EDIT_DELAY` from when the first message was answered, so none reaches Discord before
    the message it follows (which Discord makes from that answer)."""
    async with (
        GatedRedis(redis_server.port) as redis,
        discord_service(redis_url=redis.url, rate_limit="") as service,
    ):
        fake = service.fake
        assert await service.summarize(LONG) == {"type": 5}
        await fake.wait_for(lambda f: any(map(is_final, edits(f))))
        redis.open.clear()
        asking = asyncio.create_task(service.summarize(LONG, token="tok-2"))
        await asyncio.sleep(FIRST_EDIT_DELAY)  # the cached summary is read once Redis answers again
        answered_after = time.monotonic()
        redis.open.set()
        assert (await asking)["type"] == 4
        await fake.wait_for(lambda f: followups(f, "tok-2"))
    # A lower bound that `Reply.answered`'s own sleep ensures (a slow machine only makes it larger); the
    # interaction's arrival is `FIRST_EDIT_DELAY` earlier still.
    assert followups(fake, "tok-2")[0].at - answered_after >= FIRST_EDIT_DELAY - 0.01


async def test_cached_summary_is_answered_at_once_with_type_4() -> None:
    async with discord_service() as service:
        assert await service.summarize(SHORT) == {"type": 5}
        await service.fake.wait_for(lambda f: any(map(is_final, edits(f))))
        job = await service.rest_job(SHORT)

        answer = await service.summarize(f"https://youtu.be/{SHORT}", token="tok-2")
        assert answer["type"] == 4 and "flags" not in answer["data"]
        check_message(answer["data"])
        assert answer["data"] == edits(service.fake)[-1].body
        assert points_of([answer["data"]]) == expected_lines(job)
        await asyncio.sleep(1.2)
        assert edits(service.fake, "tok-2") == followups(service.fake, "tok-2") == []


async def test_a_failure_is_edited_in_then_answered_from_the_cache() -> None:
    async with discord_service() as service:
        assert await service.summarize("AAAAAAAAAAA") == {"type": 5}
        await service.fake.wait_for(lambda f: any("Couldn't" in c.body["content"] for c in edits(f)))
        final = edits(service.fake)[-1].body
        assert final["content"].startswith("Couldn't summarize <https://www.youtube.com/watch?v=AAAAAAAAAAA>")
        assert "no captions" in final["content"] and final["embeds"] == []

        again = await service.summarize("AAAAAAAAAAA", token="tok-2")
        assert (
            again["type"] == 4 and again["data"]["flags"] == 64 and "no captions" in again["data"]["content"]
        )


async def test_edits_stop_when_the_token_is_about_to_expire(caplog: pytest.LogCaptureFixture) -> None:
    runner = GatedRunner()
    engine = Engine.from_settings(Settings(transcript_dir=str(TRANSCRIPTS)), runner)
    fake = FakeDiscord()
    await engine.start()
    async with serve(fake.app) as url:
        client = DiscordClient(f"{url}/api/v10")
        try:
            job, _ = await engine.submit(SHORT)
            reply = Reply(client, APP, "tok-1", deadline=time.monotonic() + 1.5)  # 1 s first-edit delay
            expired_before = DISCORD_TOKENS_EXPIRED._value.get()
            with caplog.at_level(logging.WARNING, logger="handlers.discord"):
                await deliver(job, reply)
            assert DISCORD_TOKENS_EXPIRED._value.get() == expired_before + 1  # recorded in the metrics
            assert len(edits(fake)) == 1  # the first state, then the window closed
            runner.release(2)
            async for current in job.changes():
                assert current is not None
            await asyncio.sleep(0.1)
        finally:
            await client.close()
            await engine.stop()
    assert len(edits(fake)) == 1 and job.status.value == "done"
    [record] = [r for r in caplog.records if "expired" in r.getMessage()]
    assert job.id in record.getMessage()
