"""Replies that need no answer from Telegram ride in the webhook's HTTP response (Bot API "Making requests
when getting updates"): the real app under uvicorn, real webhook requests, a real local Bot API server that
records which messages the service sent itself and which came back in a response (`Call.in_response`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest

from tests.support.data import SHORT
from tests.support.fake_telegram import Call
from tests.support.runners import GatedRunner
from tests.support.telegram_service import GROUP, SECRET, Service, message, telegram_service, update
from tests.support.waiting import until

pytestmark = pytest.mark.usefixtures("fast_pacing")


async def answered(svc: Service, text: str) -> dict[str, object]:
    """The body of the webhook response to a private message `text` (performed by the fake too)."""
    msg = message(text)
    response = await svc.post(update(msg))
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    if body:
        assert body["chat_id"] == msg.chat.id
        assert body["reply_parameters"] == {"message_id": msg.message_id, "allow_sending_without_reply": True}
    return body


async def test_help_hint_and_errors_are_the_webhook_response() -> None:
    async with telegram_service() as svc:
        for text, expected in (
            ("/help", "I summarize YouTube videos"),
            ("hello", "Send me a YouTube link"),
            ("/summary", "Usage: /summary"),
            ("/lang xx!", "not a language code"),
        ):
            body = await answered(svc, text)
            assert body["method"] == "sendMessage" and expected in str(body["text"])
            assert body["parse_mode"] == "HTML" and body["link_preview_options"] == {"is_disabled": True}
        await asyncio.sleep(0.2)
        assert svc.fake.outbound() == []  # no call of our own: nothing was sent but the answers


async def test_a_flood_is_refused_busy_without_a_single_call_to_telegram() -> None:
    runner = GatedRunner()  # the first job holds the only place; the queue has room for one more
    async with telegram_service(runner, queue_max=1, max_jobs_per_requester=100) as svc:
        accepted = [message(f"https://youtu.be/{video}") for video in (SHORT, "eMlx5fFNoYc")]
        for msg in accepted:
            assert (await svc.post(update(msg))).json() == {}  # "working on it" is sent, to be edited
        await until(lambda: len(svc.fake.called("sendMessage")) == 2)
        before = len(svc.fake.outbound())
        videos = ("sektMcC_PAk", "LPZh9BOjkQs", "--dnfTaoXKM", "FtriFMxsOWw", "cdiD-9MMpb0", "3zu317upAUA")
        bodies = [await answered(svc, f"https://youtu.be/{video}") for video in videos]
        refused = [body for body in bodies if body]
        assert len(refused) >= len(videos) - 1  # the queue's one place may have freed up for one
        for body in refused:
            assert "busy" in str(body["text"]) and "try again in ~" in str(body["text"])
        await asyncio.sleep(0.2)
        # Every "busy" was an answer, none a call; an accepted one's reply is a call (it will be edited).
        assert len(svc.fake.outbound()) == before + len(bodies) - len(refused)
        runner.release(20)


async def test_a_cached_summary_in_one_message_is_the_response_and_the_rest_are_calls() -> None:
    async with telegram_service() as svc:
        first = message(f"https://youtu.be/{SHORT}")
        assert (await svc.post(update(first))).json() == {}
        [reply] = await svc.replies_to(first)
        assert not reply.in_response  # to be edited: sent by us, its id known
        await svc.summary(reply)

        again = message(f"https://youtu.be/{SHORT} and the same https://youtu.be/{SHORT}?t=3 twice")
        body = await answered(svc, str(again.text))
        assert "<b>TL;DR</b>" in str(body["text"])


async def test_the_first_answer_is_the_response_and_what_follows_is_sent_in_order() -> None:
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
        links = " ".join(
            f"https://youtu.be/{v}" for v in (SHORT, "eMlx5fFNoYc", "sektMcC_PAk", "--dnfTaoXKM")
        )
        msg = message(links)
        response = await svc.post(update(msg))
        assert "more than 3 links" in response.json()["text"]
        replies: list[Call] = await svc.replies_to(msg, 4)
        assert [r.in_response for r in replies] == [True, False, False, False]
        assert all("Working on" in r.params["text"] for r in replies[1:])
        runner.release(20)


async def test_group_commands_wait_for_the_username_then_are_answered_in_the_response() -> None:
    async with telegram_service() as svc:
        assert (await svc.client.get("/healthz")).status_code == 200  # started: the warm-up may begin
        await until(lambda: svc.fake.called("getMe"))  # the @username, learnt while idle (api/warmup.py)
        await asyncio.sleep(0.2)
        msg = message("/help@SummaryTestBot", chat=GROUP)
        response = await svc.post(update(msg))
        assert "I summarize YouTube videos" in response.json()["text"]
        other = await svc.post(update(message("/help@OtherBot", chat=GROUP)))
        assert other.json() == {}


async def test_calls_to_telegram_wait_while_another_webhook_is_being_acked() -> None:
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
        slow_body = orjson.dumps(update(message("/help")))

        async def trickle() -> AsyncIterator[bytes]:  # a webhook whose body takes 1 s to arrive
            yield slow_body[:10]
            await asyncio.sleep(1.0)
            yield slow_body[10:]

        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        held = asyncio.create_task(svc.client.post("/telegram/webhook", content=trickle(), headers=headers))
        await asyncio.sleep(0.2)  # its ack is in flight
        msg = message(f"https://youtu.be/{SHORT}")
        assert (await svc.post(update(msg))).json() == {}  # "working on it": a call, after the response
        await asyncio.sleep(0.4)
        assert svc.fake.outbound() == [] or all(c.method == "getMe" for c in svc.fake.outbound())
        acked = (await held).json()
        assert "I summarize YouTube videos" in acked["text"]
        [reply] = await svc.replies_to(msg)  # sent once the other ack went out
        assert not reply.in_response
        runner.release(10)
