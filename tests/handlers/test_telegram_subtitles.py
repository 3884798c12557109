"""Subtitle files sent to the Telegram bot, end to end: documents in real webhook updates
(python-telegram-bot's own objects), `getFile` and the download from
`<TELEGRAM_API_BASE_URL>/file/bot<token>/<file_path>` on the local fake Bot API, the reply edited from
"Reading…" to the summary, and the replies for bad files."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from telegram import Document, Message, MessageEntity, User

from bot.telegram_render import HELP, render_error
from summarizer.errors import SummaryError
from summarizer.subtitles import parse_subtitles
from tests.support import subtitle_files as files
from tests.support.data import GERMAN, SHORT
from tests.support.fake_telegram import BOT, TOKEN
from tests.support.runners import CrashingRunner, GatedRunner
from tests.support.telegram_service import (
    GROUP,
    NOW,
    document_message,
    message,
    telegram_service,
)
from tests.support.waiting import until

pytestmark = pytest.mark.usefixtures("fast_pacing")

LINKS = re.compile(r'<a href="([^"]+)">')


async def test_a_subtitle_file_with_a_link_is_summarized_with_points_into_that_video() -> None:
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
        document = svc.fake.add_file("lecture.srt", files.srt(SHORT).encode())
        msg = document_message(document, f"here are the captions of https://youtu.be/{SHORT}")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        assert reply.params["text"] == "⏳ Reading <b>lecture.srt</b>…"
        [get_file] = await svc.fake.wait_for("getFile")
        assert get_file.params["file_id"] == document["file_id"]
        await until(lambda: svc.fake.downloads or None)
        assert svc.fake.downloads == [svc.fake.files[document["file_id"]][0]]
        edit = await until(
            lambda: [c for c in svc.fake.called("editMessageText") if "Working on" in c.params["text"]]
        )
        assert edit[0].params["message_id"] == reply.message_id and "<b>lecture</b>" in edit[0].params["text"]
        runner.release(100)
        final = await svc.summary(reply)
    assert "<b>TL;DR</b>" in final and "📝" in final
    links = LINKS.findall(final)
    assert links[0] == f"https://www.youtube.com/watch?v={SHORT}"
    assert len(links) > 5 and all(link.startswith(f"https://youtu.be/{SHORT}?t=") for link in links[1:])


async def test_a_file_without_a_link_is_summarized_without_links() -> None:
    async with telegram_service() as svc:
        document = svc.fake.add_file("notes.txt", files.file("0KgCqGtXqFc.txt").read_bytes())
        msg = document_message(document)
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        final = await svc.summary(reply)
    assert final.startswith("📝 notes\n") and "<b>TL;DR</b>" in final
    assert "<a " not in final and "file-" not in final  # nothing links to a video that is not there
    assert re.search(r"• \d+:\d\d \w", final)  # the points keep their timestamps, as plain text


async def test_a_yt_dlp_file_names_its_video_and_the_same_file_again_is_answered_from_the_cache() -> None:
    async with telegram_service() as svc:
        name = "Big Think excerpt [--7Dd2sAwPA].en.vtt"
        document = svc.fake.add_file(name, files.file(name).read_bytes())
        first = document_message(document)
        await svc.send(first)
        final = await svc.summary((await svc.replies_to(first))[0])
        assert '📝 <a href="https://www.youtube.com/watch?v=--7Dd2sAwPA">Big Think excerpt</a>' in final
        assert 'href="https://youtu.be/--7Dd2sAwPA?t=' in final

        edits = len(svc.fake.called("editMessageText"))
        again = document_message(svc.fake.add_file(name, files.file(name).read_bytes()))
        await svc.send(again)
        [reply] = await svc.replies_to(again)
        assert await svc.summary(reply) == final
        assert len(svc.fake.called("editMessageText")) == edits + 1  # "Reading…" became the summary at once


@pytest.mark.parametrize(
    ("name", "content", "size", "says"),
    [
        ("talk.srt", "Café".encode("cp1252") + b" is not UTF-8", None, "not UTF-8 text"),
        ("talk.vtt", b"WEBVTT\n\nno cues here\n", None, "no subtitles in this file"),
        ("huge.srt", b"1\n", 5_000_000, "The file is 4.77 MB; subtitle files may be at most 2 MB"),
        ("long.srt", b"1\n00:00:00,000 --> 07:00:00,000\nA very long cue.\n", None, "up to 6:00:00"),
    ],
)
async def test_a_bad_file_gets_a_reply_that_says_what_is_wrong(
    name: str, content: bytes, size: int | None, says: str
) -> None:
    async with telegram_service() as svc:
        msg = document_message(svc.fake.add_file(name, content, size))
        await svc.send(msg)
        text = await until(lambda: next((t for t in texts_in_reply(svc, msg) if t.startswith("⚠️")), None))
    assert text.startswith(f"⚠️ Could not read <b>{name}</b>.\n") and says in text
    if size is not None:
        assert svc.fake.called("getFile") == []  # too large: not even asked for


async def test_a_file_larger_than_its_message_said_is_refused_as_one_it_said_is() -> None:
    """The message's `file_size` understates the file: `getFile` tells its size, and it is refused in the
    same words as a file whose message says so, not downloaded."""
    async with telegram_service() as svc:
        msg = document_message(svc.fake.add_file("huge.srt", b"1\n" + b" " * 3_000_000, size=100))
        await svc.send(msg)
        text = await until(lambda: next((t for t in texts_in_reply(svc, msg) if t.startswith("⚠️")), None))
    assert text == (
        "⚠️ Could not read <b>huge.srt</b>.\n"
        "The file is 2.86 MB; subtitle files may be at most 2 MB (2097152 bytes)."
    )
    assert svc.fake.downloads == []


async def test_telegram_refusing_the_download_is_said_too() -> None:
    async with telegram_service() as svc:
        msg = document_message(svc.fake.add_file("talk.srt", files.srt(SHORT).encode()))
        svc.fake.fail("getFile", "too_big")
        await svc.send(msg)
        text = await until(lambda: next((t for t in texts_in_reply(svc, msg) if t.startswith("⚠️")), None))
    assert "I could not download it: Telegram lets bots download files up to 20 MB." in text


async def test_other_documents_get_a_hint_and_groups_only_files_meant_for_the_bot() -> None:
    async with telegram_service() as svc:
        pdf = document_message(svc.fake.add_file("slides.pdf", b"%PDF-1.4"))
        await svc.send(pdf)
        [hint] = await svc.replies_to(pdf)
        assert ".srt, .vtt or .txt" in hint.params["text"]

        srt = files.srt(GERMAN).encode()
        shared = document_message(svc.fake.add_file("episode.srt", srt), chat=GROUP)  # friends sharing a file
        caption = "@SummaryTestBot please"
        mention = [MessageEntity(MessageEntity.MENTION, 0, 15)]
        asked = message(
            None,
            GROUP,
            document=Document.de_json(svc.fake.add_file("episode.de.srt", srt), None),
            caption=caption,
            caption_entities=mention,
        )
        command = message(
            None,
            GROUP,
            document=Document.de_json(svc.fake.add_file("episode.srt", srt), None),
            caption=f"/summary@SummaryTestBot https://youtu.be/{GERMAN}",
        )
        for msg in (shared, asked, command):
            await svc.send(msg)
        await svc.replies_to(asked)
        [reply] = await svc.replies_to(command)
        final = await svc.summary(reply)
        await asyncio.sleep(0.3)
        assert svc.sent_in_reply(shared) == []
    assert f'href="https://youtu.be/{GERMAN}?t=' in final


async def test_help_says_the_largest_file_taken() -> None:
    async with telegram_service(subtitles_max_bytes=512 * 1024) as svc:
        msg = message("/help")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
    assert "(.srt, .vtt or .txt, UTF-8, up to 512 KB;" in reply.params["text"]


async def test_a_reply_to_the_bot_with_a_file_is_meant_for_it() -> None:
    async with telegram_service() as svc:
        bot_message = Message(1, NOW, GROUP, from_user=User(BOT["id"], "Summary", True), text="earlier")
        msg = document_message(
            svc.fake.add_file("talk.srt", files.srt(SHORT).encode()), chat=GROUP, reply_to_message=bot_message
        )
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        assert "Reading" in reply.params["text"]
        await svc.summary(reply)


async def test_a_crash_while_reading_still_gets_an_answer() -> None:
    async with telegram_service(CrashingRunner(parse_subtitles)) as svc:
        msg = document_message(svc.fake.add_file("talk.srt", files.srt(SHORT).encode()))
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        text = await until(lambda: t if (t := svc.fake.text(reply)).startswith("⚠️") else None)
    assert "Something went wrong on my side. Please try again." in text


def test_when_youtube_blocks_the_reply_says_a_subtitle_file_works() -> None:
    for code in ("blocked", "po_token_required", "provider_unavailable", "age_restricted"):
        text = render_error(SummaryError(code), SHORT)
        assert "subtitle file (.srt or .vtt" in text and "link in the caption" in text, code
        assert "subtitle file" in HELP[code]


def texts_in_reply(svc: Any, msg: Message) -> list[str]:
    """The texts the bot's replies to `msg` show now (edits included)."""
    return [svc.fake.text(call) for call in svc.sent_in_reply(msg) if call.message_id]


def test_the_fake_serves_files_under_the_bots_token() -> None:
    assert TOKEN.split(":")[0] == str(BOT["id"])
