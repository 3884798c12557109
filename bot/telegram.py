"""The Telegram Bot API client: python-telegram-bot's plain `Bot` with one pool, paced, retried, quiet.

Importing this module imports python-telegram-bot and httpx (191 ms of CPU, 11.2 MiB of RSS on top of
`import api.main`: `benchmarks/imports.py bot.telegram`, median of 5), so the service does it only when
Telegram is configured, after start-up in a worker thread (api/warmup.py, core/lazy.py), never before the
port opens nor in the webhook's request path.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from core import pacing
from core.acks import AckGate
from core.formats import byte_size
from core.logs import hide, redact_url_loggers
from core.pacing import Pacer
from core.telemetry import OUTBOUND, OUTBOUND_ERRORS, OUTBOUND_RATE_LIMITED

if TYPE_CHECKING:
    from core.config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

# PTB 22 warns on every `RetryAfter` until durations are opted in to be `timedelta`s (its future default).
os.environ.setdefault("PTB_TIMEDELTA", "true")

# A 429 is retried this many times, if Telegram asks to wait at most MAX_RETRY_WAIT seconds.
RETRIES = 3
MAX_RETRY_WAIT = 300.0
# Connections to the Bot API; a 0.1-CPU box never has more calls in flight than this.
POOL_SIZE = 16


def _seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def _is(error: TelegramError, *phrases: str) -> bool:
    return any(phrase in error.message.lower() for phrase in phrases)


class FileUnavailable(Exception):
    """A file a user sent could not be downloaded; the message says why, for the user."""


class FileTooLarge(FileUnavailable):
    """A file a user sent is over the size the caller takes: `size` bytes (to say so as for a file whose
    message told its size, summarizer.subtitles.too_large)."""

    def __init__(self, size: int, max_bytes: int) -> None:
        super().__init__(f"it is {byte_size(size)}, over the {byte_size(max_bytes)} I take")
        self.size = size


class TelegramClient:
    """Sends and edits messages within Telegram's limits; never raises for Telegram's answers."""

    def __init__(
        self,
        bot: Bot,
        request: HTTPXRequest,
        bot_id: int | None,
        gate: AckGate | None = None,
        pacer: Pacer | None = None,
    ) -> None:
        self.bot = bot
        self.bot_id = bot_id
        self._request = request
        self._pacer = pacer or Pacer()  # shared with the webhook's answers (core/pacing.py)
        self._gate = gate or AckGate()  # calls wait for the acks in flight (core/acks.py)
        self._username: str | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, gate: AckGate | None = None, pacer: Pacer | None = None
    ) -> TelegramClient:
        token = settings.telegram_bot_token
        assert token, "TELEGRAM_BOT_TOKEN is not set"
        # The token is part of every Bot API URL, which httpx and PTB log: core/logs.py redacts it.
        redact_url_loggers()
        hide(token)
        request = HTTPXRequest(
            connection_pool_size=POOL_SIZE,
            connect_timeout=5,
            read_timeout=10,
            write_timeout=10,
            pool_timeout=5,
        )
        # The same request object for getUpdates too: one connection pool, not two.
        root = settings.telegram_api_base_url.rstrip("/")
        bot = Bot(
            token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=request,
            get_updates_request=request,
        )
        return cls(bot, request, settings.telegram_bot_id, gate, pacer)

    async def close(self) -> None:
        await self._request.shutdown()

    @property
    def known_username(self) -> str | None:
        """The @username if `username()` learned it already (never calls Telegram)."""
        return self._username

    async def username(self) -> str | None:
        """The bot's @username (from `getMe`, asked once), or None when Telegram cannot say."""
        if self._username is None:
            OUTBOUND.labels("telegram").inc()
            try:
                self._username = (await self.bot.get_me()).username
            except TelegramError as error:
                OUTBOUND_ERRORS.labels("telegram").inc()
                log.warning("telegram getMe failed: %s", error.message)
        return self._username

    async def download(self, file_id: str, max_bytes: int) -> bytes:
        """A file a user sent: `getFile`, then its bytes from
        `{TELEGRAM_API_BASE_URL}/file/bot<token>/<file_path>` (the bot's `base_file_url`). Raises
        `FileUnavailable`, saying why, when Telegram does not hand it out (bots may download files up to
        20 MB), `FileTooLarge` when it is over `max_bytes`."""
        OUTBOUND.labels("telegram").inc()
        try:
            file = await self.bot.get_file(file_id)
            if file.file_size is not None and file.file_size > max_bytes:
                raise FileTooLarge(file.file_size, max_bytes)
            OUTBOUND.labels("telegram").inc()
            data = bytes(await file.download_as_bytearray())
        except TelegramError as error:
            OUTBOUND_ERRORS.labels("telegram").inc()
            log.warning("telegram: download of a file failed: %s", error.message)
            if _is(error, "file is too big"):
                raise FileUnavailable("Telegram lets bots download files up to 20 MB") from None
            raise FileUnavailable("Telegram did not hand it to me; please send it again") from None
        except RuntimeError as error:  # PTB: the file has no file_path
            raise FileUnavailable("Telegram did not hand it to me; please send it again") from error
        if len(data) > max_bytes:
            raise FileTooLarge(len(data), max_bytes)
        return data

    async def _call(self, chat_id: int, make: Callable[[], Awaitable[T]]) -> T:
        """One paced call; waits out 429s (`retry_after`) up to `RETRIES` times."""
        for attempt in range(RETRIES + 1):
            await self._gate.quiet()
            await self._pacer.wait(chat_id, pacing.chat_interval(chat_id))
            await self._pacer.wait(None, pacing.GLOBAL_INTERVAL)
            OUTBOUND.labels("telegram").inc()
            try:
                return await make()
            except TelegramError as error:
                OUTBOUND_ERRORS.labels("telegram").inc()
                if not isinstance(error, RetryAfter):
                    raise
                OUTBOUND_RATE_LIMITED.labels("telegram").inc()
                wait = _seconds(error)
                if attempt == RETRIES or wait > MAX_RETRY_WAIT:
                    raise
                log.info("telegram asks to wait %.0f s (chat %s)", wait, chat_id)
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    async def send(self, chat_id: int, text: str, reply_to: int | None = None) -> int | None:
        """Send an HTML message (link previews off); the new message's id, or None when it failed."""
        reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        try:
            message = await self._call(
                chat_id,
                lambda: self.bot.send_message(
                    chat_id,
                    text,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                    reply_parameters=reply,
                ),
            )
        except ChatMigrated as error:  # a group became a supergroup: the new id, once
            return await self.send(error.new_chat_id, text)
        except Forbidden as error:  # blocked by the user, removed from the group
            log.info("telegram: cannot write to chat %s: %s", chat_id, error.message)
            return None
        except TelegramError as error:  # not retried: a timed-out send may have arrived
            log.warning("telegram sendMessage to chat %s failed: %s", chat_id, error.message)
            return None
        return message.message_id

    async def edit(self, chat_id: int, message_id: int, text: str) -> bool:
        """Replace a message's text; False when the message is gone (deleted) and edits should end."""
        try:
            await self._call(
                chat_id,
                lambda: self.bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=message_id,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
            )
        except BadRequest as error:
            if _is(error, "message is not modified"):
                return True
            if _is(error, "message to edit not found", "message can't be edited"):
                log.info("telegram: message %s in chat %s is gone; edits end", message_id, chat_id)
                return False
            log.warning("telegram editMessageText in chat %s failed: %s", chat_id, error.message)
        except Forbidden as error:
            log.info("telegram: cannot edit in chat %s: %s", chat_id, error.message)
            return False
        except TelegramError as error:  # a timeout, say: a later edit carries the newer text anyway
            log.warning("telegram editMessageText in chat %s failed: %s", chat_id, error.message)
        return True
