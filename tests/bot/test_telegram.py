"""The Telegram Bot API client (bot/telegram.py) in the running service: 429s waited out, "message is not
modified" taken as success, sends to one chat paced, the token never logged; against a real local Bot API
server, driven through the real app's webhook."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import pytest

import core.pacing
from tests.support.data import SHORT
from tests.support.fake_telegram import TOKEN
from tests.support.runners import GatedRunner
from tests.support.telegram_service import SECRET, message, telegram_service

pytestmark = pytest.mark.usefixtures("fast_pacing")


async def test_429_is_waited_out_and_the_call_retried() -> None:
    async with telegram_service() as svc:
        svc.fake.fail("sendMessage", "429", retry_after=1)
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        first, retried = await svc.replies_to(msg, 2)
        assert retried.at - first.at >= 1.0
        assert first.message_id is None and retried.message_id is not None
        await svc.summary(retried)


async def test_message_not_modified_counts_as_success(caplog: pytest.LogCaptureFixture) -> None:
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
        svc.fake.fail("editMessageText", "not_modified")
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        runner.release()
        await svc.fake.wait_for("editMessageText")
        runner.release()
        assert "<b>TL;DR</b>" in await svc.summary(reply)
    assert not [r for r in caplog.records if r.name == "bot.telegram" and r.levelno >= logging.WARNING]


async def test_sends_to_one_chat_are_paced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.pacing, "CHAT_INTERVAL", 0.5)
    async with telegram_service() as svc:
        for text in ("/help", "/start"):
            await svc.send(message(text))
        first, second = await svc.fake.wait_for("sendMessage", 2)
        # Spaced when sent; on arrival the first may have taken a few ms longer on the way (0.4993 s seen).
        assert second.at - first.at >= 0.5 - 0.02


async def test_the_token_never_appears_in_logs(
    caplog: pytest.LogCaptureFixture, service_logs: Callable[[str], io.StringIO]
) -> None:
    caplog.set_level(logging.DEBUG)
    service_log = service_logs("json")  # the service's own handler too, as LOG_FORMAT=json writes it
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
        svc.fake.fail("sendMessage", "429", retry_after=1)
        svc.fake.fail("editMessageText", "not_found")
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        await svc.replies_to(msg, 2)
        runner.release(2)
        await svc.fake.wait_for("editMessageText")
        await svc.send(message("/start@SummaryTestBot"))
        await svc.fake.wait_for("getMe")
    assert "/bot<token>/sendMessage" in caplog.text  # httpx's request lines were captured, redacted
    assert TOKEN.split(":")[1] not in caplog.text
    lines = [json.loads(line)["message"] for line in service_log.getvalue().splitlines()]
    assert any("/bot<token>/sendMessage" in line for line in lines)
    assert not any(TOKEN.split(":")[1] in line or SECRET in line for line in lines)
