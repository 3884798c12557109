"""The Telegram webhook registration: at start-up when it differs, and by hand.

    python -m bot.telegram_webhook show     # what Telegram has: URL, pending updates, last error
    python -m bot.telegram_webhook set      # register {PUBLIC_URL}/telegram/webhook with the secret
    python -m bot.telegram_webhook delete   # remove it (pending updates are kept)

Never with `drop_pending_updates`: the update that woke a sleeping instance would be lost.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from telegram.error import TelegramError

from bot.telegram import TelegramClient
from core.config import Settings, get_settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
# What the handlers act on; everything else Telegram would send is not asked for.
ALLOWED_UPDATES = ("message",)


def webhook_url(settings: Settings) -> str:
    assert settings.public_url, "PUBLIC_URL (or RENDER_EXTERNAL_URL) is not set"
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


async def set_webhook(client: TelegramClient, settings: Settings) -> None:
    await client.bot.set_webhook(
        url=webhook_url(settings),
        secret_token=settings.telegram_secret_token,
        allowed_updates=list(ALLOWED_UPDATES),
    )


async def ensure_webhook(client: TelegramClient, settings: Settings) -> bool:
    """Register the webhook unless Telegram already has it; True when it was (re)set."""
    info = await client.bot.get_webhook_info()
    same = info.url == webhook_url(settings) and sorted(info.allowed_updates) == sorted(ALLOWED_UPDATES)
    # Telegram does not show the secret; a 403 from us means it changed since the last registration.
    rejected = "403" in (info.last_error_message or "")
    if same and not rejected:
        return False
    await set_webhook(client, settings)
    return True


async def register(client: TelegramClient, settings: Settings) -> None:
    """The start-up task: make sure Telegram sends updates here; failures are logged, not raised."""
    try:
        if await ensure_webhook(client, settings):
            log.info("telegram webhook set to %s", webhook_url(settings))
    except TelegramError as error:
        log.warning("telegram webhook registration failed: %s", error.message)


async def _run(action: str, settings: Settings) -> int:
    client = TelegramClient.from_settings(settings)
    try:
        if action == "set":
            await set_webhook(client, settings)
            print(f"webhook set to {webhook_url(settings)}")
        elif action == "delete":
            await client.bot.delete_webhook()
            print("webhook deleted")
        info = await client.bot.get_webhook_info()
    except TelegramError as error:
        print(f"Telegram refused: {error.message}", file=sys.stderr)
        return 1
    finally:
        await client.close()
    print(f"url: {info.url or '(none)'}")
    print(f"pending updates: {info.pending_update_count}")
    print(f"allowed updates: {', '.join(info.allowed_updates) or '(default)'}")
    if info.last_error_message:
        print(f"last error: {info.last_error_date} {info.last_error_message}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.telegram_webhook", description=__doc__.split("\n")[0]
    )
    parser.add_argument("action", choices=["show", "set", "delete"])
    args = parser.parse_args(argv)
    settings = get_settings()
    missing = [
        name
        for name, value in [
            ("TELEGRAM_BOT_TOKEN", settings.telegram_bot_token),
            ("TELEGRAM_WEBHOOK_SECRET", settings.telegram_webhook_secret if args.action == "set" else "-"),
            ("PUBLIC_URL", settings.public_url if args.action == "set" else "-"),
        ]
        if not value
    ]
    if missing:
        print(f"set {', '.join(missing)} first (environment or .env)", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING)
    return asyncio.run(_run(args.action, settings))


if __name__ == "__main__":
    sys.exit(main())
