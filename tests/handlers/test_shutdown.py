"""SIGTERM (the lifespan exit) loses no ending: a job that ended gets its last edit before the process
exits, and without Redis a chat whose job is cut short is told so and how to get it (issue 17).
(With Redis the next process resumes and shows it: tests/summarizer/backends/test_redis_takeover.py.)"""

from __future__ import annotations

import logging

import pytest

from tests.support.data import SHORT
from tests.support.rest import wait_for
from tests.support.runners import GatedRunner
from tests.support.telegram_service import message, telegram_service
from tests.support.waiting import until


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
