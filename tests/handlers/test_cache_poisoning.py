"""A REST client's inline transcript (and title) stays that client's: never the summary, the failure or
the job in flight a chat user's request for the same video gets (issue 17)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.data import SHORT
from tests.support.rest import wait_for
from tests.support.runners import GatedRunner
from tests.support.telegram_service import message, telegram_service

pytestmark = pytest.mark.usefixtures("fast_pacing")

POISON = "OFFICIAL: claim your prize at evil.example"


def inline(text: str, title: str | None = POISON) -> dict[str, Any]:
    snippets = [
        {"text": text and f"{text} number {i}.", "start": 5.0 * i, "duration": 5.0} for i in range(60)
    ]
    return {"url": SHORT, "transcript": {"language_code": "en", "title": title, "snippets": snippets}}


async def test_an_inline_summary_is_never_what_a_chat_is_shown() -> None:
    async with telegram_service() as svc:
        job = (await svc.client.post("/v1/summaries", json=inline(POISON))).json()
        done = await wait_for(svc.client, job["id"], lambda j: j["status"] == "done")
        assert "evil.example" in done["tldr"] and done["title"] == POISON
        again = await svc.client.post("/v1/summaries", json=inline(POISON))
        assert again.status_code == 200  # the same captions again: that client's own cached summary

        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        shown = await svc.summary((await svc.replies_to(msg))[0])
        assert "evil.example" not in shown and "OFFICIAL" not in shown and "TL;DR" in shown
        plain = (await svc.client.post("/v1/summaries", json={"url": SHORT})).json()
        assert plain["status"] == "done" and "evil.example" not in plain["tldr"]


async def test_an_inline_transcript_s_failure_is_not_remembered_for_the_video() -> None:
    async with telegram_service() as svc:
        job = (await svc.client.post("/v1/summaries", json=inline("", title=None))).json()
        failed = await wait_for(svc.client, job["id"], lambda j: j["status"] == "failed")
        assert failed["error"]["code"] == "no_transcript"
        plain = await svc.client.post("/v1/summaries", json={"url": SHORT})
        assert plain.status_code == 202  # not the remembered failure (200, failed)


async def test_a_request_for_the_video_does_not_join_an_inline_job_in_flight() -> None:
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
        job = (await svc.client.post("/v1/summaries", json=inline(POISON))).json()
        plain = (await svc.client.post("/v1/summaries", json={"url": SHORT})).json()
        same = (await svc.client.post("/v1/summaries", json=inline(POISON))).json()
        assert plain["id"] != job["id"] and same["id"] == job["id"]
        runner.release(10)
