"""Telegram end to end: the real app under uvicorn, real webhook requests, a real local Bot API server.

Updates are built with python-telegram-bot's own objects; transcripts come from tests/data/transcripts.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Chat,
    Message,
    MessageEntity,
    MessageOriginUser,
    PhotoSize,
    Update,
    User,
)

import bot.telegram
import handlers.telegram
from api.main import create_app
from bot.telegram import TelegramClient
from bot.telegram_render import MAX_LENGTH, utf16_len
from bot.telegram_webhook import ensure_webhook
from core.config import Settings
from summarizer.cpu_process import InlineRunner, Runner
from tests.api.test_summaries import GatedRunner
from tests.bot.fake_telegram import BOT, TOKEN, Call, FakeTelegram, until
from tests.conftest import TRANSCRIPTS, serve

SECRET = "s3cret_webhook-Token"
SHORT = "LPZh9BOjkQs"  # 2 chunks
GERMAN = "brJu7qMJdVc"
LONG = "cdiD-9MMpb0"  # 3.5 h: the summary needs several messages
USER = User(42, "Ada", False, username="ada")
PRIVATE = Chat(42, Chat.PRIVATE, first_name="Ada")
GROUP = Chat(-1001234567890, Chat.SUPERGROUP, title="Friends")
NOW = dtm.datetime(2025, 1, 1, tzinfo=dtm.UTC)
_ids = count(1)


def message(text: str | None = None, chat: Chat = PRIVATE, **fields: Any) -> Message:
    return Message(next(_ids), NOW, chat, from_user=USER, text=text, **fields)


def link_entities(text: str, kind: str = MessageEntity.URL, **fields: Any) -> list[MessageEntity]:
    """A `url` entity over each http link of `text` (offsets in UTF-16 units, as Telegram sends them)."""
    entities = []
    for word in text.split():
        if word.startswith("http"):
            offset = utf16_len(text[: text.index(word)])
            entities.append(MessageEntity(kind, offset, utf16_len(word), **fields))
    return entities


def update(msg: Message) -> dict[str, Any]:
    return Update(next(_ids), message=msg).to_dict()


@dataclass
class Service:
    client: httpx.AsyncClient
    fake: FakeTelegram

    async def post(self, body: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.client.post("/telegram/webhook", json=body, headers=headers)

    async def send(self, msg: Message) -> httpx.Response:
        response = await self.post(update(msg))
        assert (response.status_code, response.json()) == (200, {})
        return response

    async def replies_to(self, msg: Message, count: int = 1) -> list[Call]:
        """The first `count` messages the bot sent in reply to `msg`."""
        return await until(lambda: self.sent_in_reply(msg) if len(self.sent_in_reply(msg)) >= count else None)

    async def summary(self, reply: Call) -> str:
        """The text of `reply` once it shows the finished summary."""
        return await until(
            lambda: reply.message_id and "Key points" in self.fake.text(reply) and self.fake.text(reply)
        )

    def sent_in_reply(self, msg: Message) -> list[Call]:
        return [
            c
            for c in self.fake.called("sendMessage")
            if c.params["chat_id"] == msg.chat.id
            and (c.params.get("reply_parameters") or {}).get("message_id") == msg.message_id
        ]


@pytest.fixture(autouse=True)
def fast_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Telegram's pacing in seconds would make the suite slow; one test checks the real interval."""
    monkeypatch.setattr(bot.telegram, "CHAT_INTERVAL", 0.0)
    monkeypatch.setattr(bot.telegram, "GROUP_INTERVAL", 0.0)
    monkeypatch.setattr(handlers.telegram, "EDIT_INTERVAL", 0.05)


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
async def service(runner: Runner | None = None, **overrides: Any) -> AsyncIterator[Service]:
    async with FakeTelegram().running() as fake:
        app = create_app(telegram_settings(fake, **overrides), runner or InlineRunner())
        async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            yield Service(client, fake)


async def test_wrong_or_missing_secret_is_403_and_unconfigured_is_404() -> None:
    async with service() as svc:
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
    async with service() as svc:
        svc.fake.delay["sendMessage"] = 2.0
        msg = message(f"look https://youtu.be/{SHORT}")
        await svc.send(msg)
        assert svc.fake.calls == []  # the 200 arrived first
        [reply] = await svc.replies_to(msg)
        assert "Working on" in reply.params["text"] or "Key points" in reply.params["text"]


async def test_unhandled_updates_get_200_and_nothing_else() -> None:
    async with service() as svc:
        edited = Update(next(_ids), edited_message=message(f"https://youtu.be/{SHORT}")).to_dict()
        for body in (edited, {"update_id": next(_ids), "poll": {"id": "1"}}):
            response = await svc.post(body)
            assert (response.status_code, response.json()) == (200, {})
        assert (await svc.post({"no": "update"})).status_code == 400
        await svc.send(message("/help"))  # the sentinel: handled after the updates above
        await until(lambda: svc.fake.called("sendMessage"))
        assert [c.method for c in svc.fake.calls if c.method != "getMe"] == ["sendMessage"]


async def test_a_redelivered_update_is_handled_once() -> None:
    async with service() as svc:
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


async def test_reply_is_edited_as_chunks_finish_and_ends_as_the_summary() -> None:
    runner = GatedRunner()
    async with service(runner) as svc:
        msg = message(f"please summarize https://youtu.be/{SHORT}?si=x")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        assert reply.params["parse_mode"] == "HTML"
        assert reply.params["link_preview_options"] == {"is_disabled": True}
        assert f"Working on <b>{SHORT}</b>" in reply.params["text"]

        runner.release()
        edit = await until(
            lambda: [c for c in svc.fake.called("editMessageText") if "1/2 parts" in c.params["text"]]
        )
        assert edit[0].params["message_id"] == reply.message_id
        assert f'<a href="https://youtu.be/{SHORT}?t=' in edit[0].params["text"]

        runner.release()
        final = await svc.summary(reply)
        assert "<b>TL;DR</b>" in final and "Working on" not in final
        lines = [line for line in final.splitlines() if line.startswith("• ")]
        assert len(lines) == 6  # 3 points in each of the 2 chunks, each linked to its moment
        for line in lines:
            assert line.startswith(f'• <a href="https://youtu.be/{SHORT}?t=')
            seconds = int(line.split("?t=")[1].split('"')[0])
            assert f">{seconds // 60}:{seconds % 60:02d}</a> " in line
        assert len(svc.sent_in_reply(msg)) == 1


async def test_a_cached_summary_is_the_reply_itself() -> None:
    async with service() as svc:
        first = message(f"https://youtu.be/{SHORT}")
        await svc.send(first)
        await svc.summary((await svc.replies_to(first))[0])
        edits = len(svc.fake.called("editMessageText"))

        again = message(f"youtube.com/shorts/{SHORT}")
        await svc.send(again)
        [reply] = await svc.replies_to(again)
        assert "<b>TL;DR</b>" in reply.params["text"]
        assert len(svc.fake.called("editMessageText")) == edits


async def test_a_long_summary_is_split_into_messages_without_cutting_points() -> None:
    async with service() as svc:
        msg = message(f"https://youtu.be/{LONG}")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        head = await svc.summary(reply)
        job = (await svc.client.post("/v1/summaries", json={"url": LONG})).json()  # cached: the same summary
        points = [p for c in job["chunks"] for p in c["points"]]

        rest = await until(
            lambda: (
                (
                    calls := [
                        c
                        for c in svc.fake.called("sendMessage")
                        if (c.params.get("reply_parameters") or {}).get("message_id") == reply.message_id
                    ]
                )
                and calls[-1].message_id
                and sum(svc.fake.text(c).count("• ") for c in calls) + head.count("• ") == len(points)
                and calls
            )
        )
        texts = [head, *(svc.fake.text(c) for c in rest)]
        assert len(texts) >= 3
        assert head.startswith("📝") and "<b>TL;DR</b>" in head
        for text in texts:
            assert utf16_len(text) <= MAX_LENGTH
            assert text.count("<a ") == text.count("</a>")  # no point (or link) is cut
        lines = [line for text in texts for line in text.splitlines() if line.startswith("• ")]
        assert [line.split("?t=")[1].split('"')[0] for line in lines] == [
            str(int(p["start"])) for p in points
        ]


async def test_429_is_waited_out_and_the_call_retried() -> None:
    async with service() as svc:
        svc.fake.fail("sendMessage", "429", retry_after=1)
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        first, retried = await svc.replies_to(msg, 2)
        assert retried.at - first.at >= 1.0
        assert first.message_id is None and retried.message_id is not None
        await svc.summary(retried)


async def test_message_not_modified_counts_as_success(caplog: pytest.LogCaptureFixture) -> None:
    runner = GatedRunner()
    async with service(runner) as svc:
        svc.fake.fail("editMessageText", "not_modified")
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        runner.release()
        await svc.fake.wait_for("editMessageText")
        runner.release()
        assert "<b>TL;DR</b>" in await svc.summary(reply)
    assert not [r for r in caplog.records if r.name == "bot.telegram" and r.levelno >= logging.WARNING]


async def test_a_deleted_reply_ends_the_edits_quietly() -> None:
    runner = GatedRunner()
    async with service(runner) as svc:
        svc.fake.fail("editMessageText", "not_found")
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        await svc.replies_to(msg)
        runner.release()
        await svc.fake.wait_for("editMessageText")
        runner.release()
        # The job ends (the REST view of the same video is then served from the cache) ...
        await until(lambda: svc.fake.called("editMessageText"))
        for _ in range(500):
            if (await svc.client.post("/v1/summaries", json={"url": SHORT})).status_code == 200:
                break
            await asyncio.sleep(0.01)
        sentinel = message("/help")
        await svc.send(sentinel)
        await svc.replies_to(sentinel)
        # ... and the deleted message got no further edits and no continuation.
        assert len(svc.fake.called("editMessageText")) == 1
        assert len(svc.fake.called("sendMessage")) == 2


async def test_group_noise_is_ignored_links_commands_replies_and_mentions_are_not() -> None:
    async with service() as svc:
        noise = [
            message("hello everyone", GROUP),
            message("/start@OtherBot", GROUP),
            message("/weather", GROUP),
            message("ask @someone", GROUP, entities=[MessageEntity(MessageEntity.MENTION, 4, 8)]),
            message("https://vimeo.com/123", GROUP, entities=[MessageEntity(MessageEntity.URL, 0, 21)]),
        ]
        for msg in noise:
            await svc.send(msg)
        mention = message(
            "hey @SummaryTestBot", GROUP, entities=[MessageEntity(MessageEntity.MENTION, 4, 15)]
        )
        bot_message = Message(1, NOW, GROUP, from_user=User(BOT["id"], "Summary", True), text="earlier")
        reply_to_bot = message("and this?", GROUP, reply_to_message=bot_message)
        command = message(f"/summary@SummaryTestBot https://youtu.be/{SHORT}", GROUP)
        link = message(f"https://youtu.be/{SHORT}", GROUP)
        for msg in (mention, reply_to_bot, command, link):
            await svc.send(msg)
            await svc.replies_to(msg)
        assert "/help" in svc.sent_in_reply(mention)[0].params["text"]
        assert "/help" in svc.sent_in_reply(reply_to_bot)[0].params["text"]
        for msg in noise:
            assert svc.sent_in_reply(msg) == []
        assert len(svc.fake.called("sendMessage")) == 4


async def test_links_in_entities_captions_and_forwards_several_capped() -> None:
    async with service() as svc:
        text = "three talks"
        photo = [PhotoSize("file", "unique", 90, 90)]
        caption = f"see https://youtu.be/{SHORT} and youtu.be/--7Dd2sAwPA"
        msg = message(
            chat=PRIVATE,
            photo=photo,
            caption=caption,
            caption_entities=link_entities(caption),
            forward_origin=MessageOriginUser(NOW, User(7, "Bob", False)),
        )
        await svc.send(msg)
        replies = await svc.replies_to(msg, 2)
        assert {SHORT, "--7Dd2sAwPA"} == {_video_of(svc.fake, r) for r in replies}

        many = message(
            text, entities=[MessageEntity(MessageEntity.TEXT_LINK, 0, 5, url=f"https://youtu.be/{GERMAN}")]
        )
        await svc.send(many)
        [reply] = await svc.replies_to(many)
        assert _video_of(svc.fake, reply) == GERMAN

        ids = [SHORT, "--7Dd2sAwPA", GERMAN, "eMlx5fFNoYc"]
        four = message(" ".join(f"https://youtu.be/{i}" for i in ids))
        await svc.send(four)
        replies = await svc.replies_to(four, 4)
        assert any("first 3" in r.params["text"] for r in replies)
        assert {_video_of(svc.fake, r) for r in replies} - {None} == set(ids[:3])


def _video_of(fake: FakeTelegram, reply: Call) -> str | None:
    """The video a reply is about (from its first link), None for a plain notice."""
    text = reply.params["text"]
    for marker in ("youtube.com/watch?v=", "youtu.be/"):
        if marker in text:
            return text.split(marker, 1)[1][:11]
    return text.split("<b>", 1)[1][:11] if "Working on <b>" in text else None


async def test_lang_sets_the_transcript_language_of_the_chat() -> None:
    async with service() as svc:
        show = message("/lang")
        await svc.send(show)
        assert "No language chosen" in (await svc.replies_to(show))[0].params["text"]
        choose = message("/lang de")
        await svc.send(choose)
        assert "<b>de</b>" in (await svc.replies_to(choose))[0].params["text"]
        show = message("/lang")
        await svc.send(show)
        assert "<b>de</b> are preferred" in (await svc.replies_to(show))[0].params["text"]

        msg = message(f"https://youtu.be/{GERMAN}")
        await svc.send(msg)
        await svc.summary((await svc.replies_to(msg))[0])
        # The chat's job asked for German captions first: the same request over REST is served from its cache.
        german = await svc.client.post("/v1/summaries", json={"url": GERMAN, "languages": ["de"]})
        english = await svc.client.post("/v1/summaries", json={"url": GERMAN, "languages": ["en"]})
        assert (german.status_code, english.status_code) == (200, 202)

        bad = message("/lang english!")
        await svc.send(bad)
        assert "not a language code" in (await svc.replies_to(bad))[0].params["text"]


async def test_busy_and_rate_limited_read_as_help_with_when_to_retry() -> None:
    runner = GatedRunner()
    async with service(runner, max_jobs_per_requester=1) as svc:
        msg = message(f"https://youtu.be/{SHORT} https://youtu.be/eMlx5fFNoYc")
        await svc.send(msg)
        replies = await svc.replies_to(msg, 2)
        [refused] = [r for r in replies if "Working on" not in r.params["text"]]
        assert "let them finish" in refused.params["text"] and "try again in ~" in refused.params["text"]
        runner.release(10)


async def test_titles_and_texts_are_escaped(tmp_path: Path) -> None:
    data = json.loads((TRANSCRIPTS / f"{SHORT}.json").read_text())
    data["title"] = "Tom & Jerry <b>bold</b>"
    for snippet in data["snippets"]:
        snippet["text"] = snippet["text"].replace(" the ", " & ")
    (tmp_path / f"{SHORT}.json").write_text(json.dumps(data))
    async with service(transcript_dir=str(tmp_path)) as svc:
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        final = await svc.summary((await svc.replies_to(msg))[0])
    assert "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;" in final and "<b>bold</b>" not in final
    points = [line for line in final.splitlines() if line.startswith("• ")]
    assert any(" &amp; " in line for line in points) and " & " not in final


async def test_sends_to_one_chat_are_paced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.telegram, "CHAT_INTERVAL", 0.5)
    async with service() as svc:
        for text in ("/help", "/start"):
            await svc.send(message(text))
        first, second = await svc.fake.wait_for("sendMessage", 2)
        # Spaced when sent; on arrival the first may have taken a few ms longer on the way (0.4993 s seen).
        assert second.at - first.at >= 0.5 - 0.02


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


async def test_the_token_never_appears_in_logs(caplog: pytest.LogCaptureFixture, service_logs: Any) -> None:
    caplog.set_level(logging.DEBUG)
    service_log = service_logs("json")  # the service's own handler too, as LOG_FORMAT=json writes it
    runner = GatedRunner()
    async with service(runner) as svc:
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
