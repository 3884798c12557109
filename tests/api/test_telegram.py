"""`POST /telegram/webhook` end to end: the real app under uvicorn, real webhook requests (updates built
with python-telegram-bot's own objects), a real local Bot API server. The secret, the ack before any
call, redeliveries; what an update means is tests/handlers/test_telegram.py."""

from __future__ import annotations

import httpx
import pytest
from telegram import Update

from api.main import create_app
from summarizer.cpu_process import InlineRunner
from tests.support.data import SHORT
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import serve
from tests.support.telegram_service import (
    SECRET,
    message,
    next_id,
    telegram_service,
    telegram_settings,
    update,
)
from tests.support.waiting import until

pytestmark = pytest.mark.usefixtures("fast_pacing")


async def test_wrong_or_missing_secret_is_403_and_unconfigured_is_404() -> None:
    async with telegram_service() as svc:
        body = update(message(f"https://youtu.be/{SHORT}"))
        for secret in (None, "", "wrong", SECRET + "x"):
            response = await svc.post(body, secret)
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "forbidden"
        assert svc.fake.calls == []
    async with FakeTelegram().running() as fake:
        app = create_app(telegram_settings(fake, telegram_webhook_secret=None), InlineRunner())
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            response = await client.post(
                "/telegram/webhook", json=body, headers={"X-Telegram-Bot-Api-Secret-Token": ""}
            )
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


async def test_the_ack_is_sent_before_any_call_to_telegram() -> None:
    async with telegram_service() as svc:
        svc.fake.delay["sendMessage"] = 2.0
        msg = message(f"look https://youtu.be/{SHORT}")
        await svc.send(msg)
        assert svc.fake.calls == []  # the 200 arrived first
        [reply] = await svc.replies_to(msg)
        assert "Working on" in reply.params["text"] or "Key points" in reply.params["text"]


async def test_unhandled_updates_get_200_and_nothing_else() -> None:
    async with telegram_service() as svc:
        edited = Update(next_id(), edited_message=message(f"https://youtu.be/{SHORT}")).to_dict()
        for body in (edited, {"update_id": next_id(), "poll": {"id": "1"}}):
            response = await svc.post(body)
            assert (response.status_code, response.json()) == (200, {})
        assert (await svc.post({"no": "update"})).status_code == 400
        await svc.send(message("/help"))  # the sentinel: handled after the updates above
        await until(lambda: svc.fake.called("sendMessage"))
        assert [c.method for c in svc.fake.calls if c.method != "getMe"] == ["sendMessage"]


async def test_a_redelivered_update_is_handled_once() -> None:
    async with telegram_service() as svc:
        msg = message(f"https://www.youtube.com/watch?v={SHORT}")
        body = update(msg)
        for _ in range(3):
            assert (await svc.post(body)).status_code == 200
        [reply] = await svc.replies_to(msg)
        await svc.summary(reply)
        sentinel = message("/help")
        await svc.send(sentinel)
        await svc.replies_to(sentinel)
        assert len(svc.sent_in_reply(msg)) == 1
