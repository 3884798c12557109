"""SIGTERM (the lifespan exit) loses no ending: a job that ended gets its last edit before the process
exits, and without Redis a chat whose job is cut short is told so and how to get it (issue 17); a Discord
response deferred for work the service did not finish (`/ask`, `/summarize file:`) is told so too, and so is
a Telegram message whose answer was cut short (a question, a subtitle file), unless it is held in Redis:
then the next process answers it. (With Redis the next process resumes a job and shows it:
tests/summarizer/backends/test_redis_takeover.py.)"""

from __future__ import annotations

import logging

import pytest

from handlers.telegram import CUT_SHORT
from handlers.telegram_ask import SEARCHING
from summarizer.backends.redis_keys import UPDATES
from summarizer.extractive import summarize_chunk
from summarizer.links import watch_url
from summarizer.retrieval import search
from summarizer.subtitles import parse_subtitles
from tests.support import subtitle_files as files
from tests.support.data import MEDIUM, SHORT
from tests.support.discord_service import ask, discord_service, edits
from tests.support.fake_telegram import FakeTelegram
from tests.support.redis_mode import redis_client
from tests.support.rest import wait_for
from tests.support.runners import GatedRunner
from tests.support.telegram_service import document_message, message, telegram_service
from tests.support.waiting import until

RUN_AGAIN = "The service restarted before I could finish. Please run the command again."


async def test_without_redis_a_chat_whose_job_is_cut_short_is_told_to_send_the_link_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runner = GatedRunner()
    with caplog.at_level(logging.WARNING):
        async with telegram_service(runner) as svc:
            msg = message(f"https://youtu.be/{SHORT}")
            await svc.send(msg)
            [placeholder] = await svc.replies_to(msg)
            assert "Working on" in svc.fake.text(placeholder)
        # the service stopped (SIGTERM) with the job at 0 of 2 chunks
    text = svc.fake.text(placeholder)
    assert "send the link again" in text and "Working on" not in text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_job_that_ends_while_its_edits_are_paced_gets_its_last_edit_before_exit() -> None:
    runner = GatedRunner()  # real pacing: an edit at most every EDIT_INTERVAL (3 s) per message
    async with telegram_service(runner) as svc:
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        [placeholder] = await svc.replies_to(msg)
        runner.release()
        await until(lambda: "1/2 parts" in svc.fake.text(placeholder))
        runner.release()
        job = (await svc.client.post("/v1/summaries", json={"url": SHORT})).json()
        await wait_for(svc.client, job["id"], lambda j: j["status"] == "done")  # (the TL;DR follows at once)
        assert "Key points" not in svc.fake.text(placeholder)  # the next edit waits for its turn
    assert "Key points" in svc.fake.text(placeholder)


async def test_discord_work_the_stop_cut_short_edits_its_deferred_response_to_say_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An `/ask` searching, a `/summarize file:` reading its file and a `/summarize url:` job, all stuck in
    the CPU process when the service stops: each "thinking…" becomes the same request to run it again."""
    runner = GatedRunner(search, parse_subtitles, summarize_chunk)  # never released
    with caplog.at_level(logging.WARNING):
        async with discord_service(runner) as svc:
            attachment = svc.fake.attach("lecture.srt", files.srt(SHORT).encode())
            assert await svc.summarize(None, token="file", file=attachment) == {"type": 5}
            assert await svc.summarize(SHORT, token="link") == {"type": 5}
            assert (await svc.send(ask(MEDIUM, "What is a key?", token="ask"))).json() == {"type": 5}
            await until(lambda: runner.waiting == 3)
        # the service stopped (SIGTERM) with all three waiting
    last = {token: edits(svc.fake, token)[-1].body for token in ("file", "link", "ask")}
    assert last["file"]["content"] == RUN_AGAIN and last["ask"]["content"] == f"⚠️ {RUN_AGAIN}"
    assert last["link"]["content"] == f"Couldn't summarize <{watch_url(SHORT)}>: {RUN_AGAIN}"
    assert all(body["embeds"] == [] and body["allowed_mentions"] == {"parse": []} for body in last.values())
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_telegram_answers_the_stop_cut_short_say_so(caplog: pytest.LogCaptureFixture) -> None:
    """A question being searched and a subtitle file being read, both stuck in the CPU process when the
    service stops (without Redis): each "⏳ Searching…" or "⏳ Reading…" becomes a request to send it
    again."""
    runner = GatedRunner(search, parse_subtitles)  # never released
    with caplog.at_level(logging.WARNING):
        async with telegram_service(runner) as svc:
            question = message(f"/ask https://youtu.be/{MEDIUM} What is a key?")
            await svc.send(question)
            document = document_message(svc.fake.add_file("lecture.srt", files.srt(SHORT).encode()))
            await svc.send(document)
            await until(lambda: runner.waiting == 2)
        # the service stopped (SIGTERM) with both waiting
    for msg, placeholder in ((question, SEARCHING), (document, "⏳ Reading <b>lecture.srt</b>…")):
        [reply] = svc.sent_in_reply(msg)
        assert reply.params["text"] == placeholder and svc.fake.text(reply) == CUT_SHORT
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache 0.12
async def test_telegram_a_question_the_stop_cut_short_is_held_and_answered_by_the_next_process(
    redis_url: str,
) -> None:
    async with FakeTelegram().running() as fake:
        runner = GatedRunner(search)  # never released
        async with telegram_service(runner, fake, redis_url=redis_url) as svc:
            question = message(f"/ask https://youtu.be/{MEDIUM} What is a key?")
            await svc.send(question)
            await until(lambda: runner.waiting == 1)
        # the service stopped (SIGTERM) with the question waiting: nothing said, the update still held
        assert [call.params["text"] for call in svc.sent_in_reply(question)] == [SEARCHING]
        async with redis_client(redis_url) as redis:
            assert await redis.hlen(UPDATES) == 1
        async with telegram_service(fake=fake, redis_url=redis_url) as svc:
            await svc.replies_to(question, 2)  # the next process searches again, and answers
            [_, searching] = svc.sent_in_reply(question)
            answer = await svc.answer_in(searching)
    assert "What is a key?" in answer and CUT_SHORT not in answer
    assert [call.params["text"] for call in svc.sent_in_reply(question)] == [SEARCHING, SEARCHING]
