"""The Telegram surface of the real app: webhook updates built with python-telegram-bot's own objects,
posted to the app under uvicorn, whose replies reach a local fake Bot API (`fake_telegram`)."""

from __future__ import annotations

import contextlib
import datetime as dtm
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import count
from typing import Any

import httpx
from telegram import Chat, Document, Message, MessageEntity, Update, User

from api.main import create_app
from bot.render_parts import utf16_len
from core.config import Settings
from handlers.telegram_ask import SEARCHING
from summarizer.cpu_process import InlineRunner, Runner
from tests.support.data import TRANSCRIPTS
from tests.support.fake_telegram import TOKEN, Call, FakeTelegram
from tests.support.servers import serve
from tests.support.waiting import until

SECRET = "s3cret_webhook-Token"
USER = User(42, "Ada", False, username="ada")
PRIVATE = Chat(42, Chat.PRIVATE, first_name="Ada")
GROUP = Chat(-1001234567890, Chat.SUPERGROUP, title="Friends")
NOW = dtm.datetime(2025, 1, 1, tzinfo=dtm.UTC)
_ids = count(1)


def next_id() -> int:
    """A message or update id not used before in this test session."""
    return next(_ids)


def message(text: str | None = None, chat: Chat = PRIVATE, **fields: Any) -> Message:
    return Message(next_id(), NOW, chat, from_user=USER, text=text, **fields)


def link_entities(text: str, kind: str = MessageEntity.URL, **fields: Any) -> list[MessageEntity]:
    """A `url` entity over each http link of `text` (offsets in UTF-16 units, as Telegram sends them)."""
    entities = []
    for word in text.split():
        if word.startswith("http"):
            offset = utf16_len(text[: text.index(word)])
            entities.append(MessageEntity(kind, offset, utf16_len(word), **fields))
    return entities


def document_message(document: dict[str, Any], caption: str | None = None, **fields: Any) -> Message:
    """A message with the file `document` (as `FakeTelegram.add_file` made it), its links in `caption`."""
    entities = link_entities(caption) if caption else None
    return message(
        None, document=Document.de_json(document, None), caption=caption, caption_entities=entities, **fields
    )


def update(msg: Message) -> dict[str, Any]:
    return Update(next_id(), message=msg).to_dict()


@dataclass
class Service:
    client: httpx.AsyncClient
    fake: FakeTelegram

    async def post(self, body: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        """Deliver an update as Telegram does: a method in a 2xx answer is done (`FakeTelegram.perform`)."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = await self.client.post("/telegram/webhook", json=body, headers=headers)
        if response.is_success and "method" in (answer := response.json()):
            self.fake.perform(answer)
        return response

    async def send(self, msg: Message) -> httpx.Response:
        response = await self.post(update(msg))
        assert response.status_code == 200
        assert response.json() == {} or response.json()["method"] == "sendMessage"
        return response

    async def replies_to(self, msg: Message, count: int = 1) -> list[Call]:
        """The first `count` messages the bot sent in reply to `msg`."""
        return await until(lambda: self.sent_in_reply(msg) if len(self.sent_in_reply(msg)) >= count else None)

    async def summary(self, reply: Call) -> str:
        """The text of `reply` once it shows the finished summary."""

        def finished() -> str | None:
            text = self.fake.text(reply) if reply.message_id else ""
            return text if "Key points" in text else None

        return await until(finished)

    async def answer_in(self, reply: Call) -> str:
        """The text of `reply`, a "⏳ Searching…", once it is edited into the answer to the question."""
        return await until(lambda: text if (text := self.fake.text(reply)) != SEARCHING else None)

    def sent_in_reply(self, msg: Message) -> list[Call]:
        return [
            c
            for c in self.fake.called("sendMessage")
            if c.params["chat_id"] == msg.chat.id
            and (c.params.get("reply_parameters") or {}).get("message_id") == msg.message_id
        ]


def telegram_settings(fake: FakeTelegram, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "transcript_dir": str(TRANSCRIPTS),
        "telegram_bot_token": TOKEN,
        "telegram_webhook_secret": SECRET,
        "telegram_api_base_url": fake.url,
        "public_url": None,
    }
    return Settings(**(values | overrides))


@asynccontextmanager
async def telegram_service(
    runner: Runner | None = None, fake: FakeTelegram | None = None, **overrides: Any
) -> AsyncIterator[Service]:
    """A fake Bot API (`fake`, running, when given: e.g. one that a service before this one used) and the
    app under uvicorn configured for it (webhook secret `SECRET`)."""
    async with contextlib.AsyncExitStack() as stack:
        if fake is None:
            fake = await stack.enter_async_context(FakeTelegram().running())
        app = create_app(telegram_settings(fake, **overrides), runner or InlineRunner())
        url = await stack.enter_async_context(serve(app))
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=url, timeout=10))
        yield Service(client, fake)
