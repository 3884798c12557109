"""Registering the webhook (bot/telegram_webhook.py): at start-up only when it differs, and the CLI that
sets, shows and deletes it; against a real local Bot API server."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from api.main import create_app
from bot.telegram import TelegramClient
from bot.telegram_webhook import ensure_webhook
from summarizer.cpu_process import InlineRunner
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.servers import serve
from tests.support.telegram_service import SECRET, telegram_settings

pytestmark = pytest.mark.usefixtures("fast_pacing")


async def test_webhook_is_registered_only_when_it_differs_never_dropping_updates() -> None:
    async with FakeTelegram().running() as fake:
        settings = telegram_settings(fake, public_url="https://bot.example.com/")
        app = create_app(settings, InlineRunner())
        async with serve(app):
            [call] = await fake.wait_for("setWebhook")
        assert call.params["url"] == "https://bot.example.com/telegram/webhook"
        assert call.params["secret_token"] == SECRET
        assert call.params["allowed_updates"] == ["message"]
        assert "drop_pending_updates" not in call.params

        client = TelegramClient.from_settings(settings)
        try:
            assert await ensure_webhook(client, settings) is False  # already set: only looked at
            assert len(fake.called("setWebhook")) == 1
            changed = telegram_settings(fake, public_url="https://new.example.com")
            assert await ensure_webhook(client, changed) is True
            assert fake.webhook["url"] == "https://new.example.com/telegram/webhook"
        finally:
            await client.close()
        assert all("drop_pending_updates" not in c.params for c in fake.calls)


async def test_webhook_cli_sets_shows_and_deletes() -> None:
    async with FakeTelegram().running() as fake:
        env = os.environ | {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": fake.url,
            "PUBLIC_URL": "https://bot.example.com",
        }

        async def cli(action: str) -> str:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.telegram_webhook",
                action,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            output, _ = await process.communicate()
            assert process.returncode == 0, output
            assert TOKEN.split(":")[1] not in output.decode()
            return output.decode()

        assert "url: https://bot.example.com/telegram/webhook" in await cli("set")
        assert "pending updates: 0" in await cli("show")
        assert "url: (none)" in await cli("delete")
        assert [c.method for c in fake.calls] == [
            "setWebhook",
            "getWebhookInfo",
            "getWebhookInfo",
            "deleteWebhook",
            "getWebhookInfo",
        ]
        assert all("drop_pending_updates" not in c.params for c in fake.calls)
