"""What a Telegram update means, end to end: the real app under uvicorn, real webhook requests (updates
built with python-telegram-bot's own objects), a real local Bot API server. Links, commands, groups,
/lang, the reply edited as chunks finish and split when long; transcripts from tests/data/transcripts.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest
from telegram import Message, MessageEntity, MessageOriginUser, PhotoSize, User

from bot.telegram_render import MAX_ENTITIES, MAX_LENGTH, entity_count, parsed_len
from tests.support.data import GERMAN, LONG, SHORT, TRANSCRIPTS
from tests.support.fake_telegram import BOT, Call, FakeTelegram
from tests.support.runners import GatedRunner
from tests.support.telegram_service import GROUP, NOW, PRIVATE, link_entities, message, telegram_service
from tests.support.waiting import until

pytestmark = pytest.mark.usefixtures("fast_pacing")

QUOTE = re.compile(r"<blockquote expandable>(.*?)</blockquote>", re.DOTALL)


def quoted_points(text: str) -> list[str]:
    """The key points of a summary message: the lines of its chapters' (folded) blockquotes."""
    return [line for quote in QUOTE.findall(text) for line in quote.split("\n")]


async def test_reply_is_edited_as_chunks_finish_and_ends_as_the_summary() -> None:
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
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
        assert final.count("<blockquote expandable>") == 2  # a chapter per chunk, its points folded
        lines = quoted_points(final)
        assert len(lines) == 6  # 3 points in each of the 2 chunks, each linked to its moment
        for line in lines:
            assert line.startswith(f'• <a href="https://youtu.be/{SHORT}?t=')
            seconds = int(line.split("?t=")[1].split('"')[0])
            assert f">{seconds // 60}:{seconds % 60:02d}</a> " in line
        assert len(svc.sent_in_reply(msg)) == 1


async def test_a_cached_summary_is_the_reply_itself() -> None:
    async with telegram_service() as svc:
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
    async with telegram_service() as svc:
        msg = message(f"https://youtu.be/{LONG}")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        head = await svc.summary(reply)
        job = (await svc.client.post("/v1/summaries", json={"url": LONG})).json()  # cached: the same summary
        points = [p for c in job["chunks"] for p in c["points"]]

        def continuations() -> list[Call] | None:
            """The messages continuing the summary, once every point has arrived."""
            calls = [
                c
                for c in svc.fake.called("sendMessage")
                if (c.params.get("reply_parameters") or {}).get("message_id") == reply.message_id
            ]
            if not calls or not calls[-1].message_id:
                return None
            arrived = sum(len(quoted_points(svc.fake.text(c))) for c in calls) + len(quoted_points(head))
            return calls if arrived == len(points) else None

        rest = await until(continuations)
        texts = [head, *(svc.fake.text(c) for c in rest)]
        assert len(texts) >= 3
        assert head.startswith("📝") and "<b>TL;DR</b>" in head
        for text in texts:
            assert parsed_len(text) <= MAX_LENGTH and entity_count(text) <= MAX_ENTITIES
            assert text.count("<a ") == text.count("</a>")  # no point (or link) is cut
            assert text.count("<blockquote expandable>") == text.count("</blockquote>")  # nor a chapter
        assert sum(text.count("<blockquote expandable>") for text in texts) == len(job["chunks"])
        lines = [line for text in texts for line in quoted_points(text)]
        assert [line.split("?t=")[1].split('"')[0] for line in lines] == [
            str(int(p["start"])) for p in points
        ]


async def test_a_deleted_reply_ends_the_edits_quietly() -> None:
    runner = GatedRunner()
    async with telegram_service(runner) as svc:
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
    async with telegram_service() as svc:
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
    async with telegram_service() as svc:
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
    text: str = reply.params["text"]
    for marker in ("youtube.com/watch?v=", "youtu.be/"):
        if marker in text:
            return text.split(marker, 1)[1][:11]
    return text.split("<b>", 1)[1][:11] if "Working on <b>" in text else None


async def test_lang_sets_the_transcript_language_of_the_chat() -> None:
    async with telegram_service() as svc:
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

        for code in ("english!", "en-" + "abcdefgh-" * 400 + "x"):
            bad = message(f"/lang {code}")
            await svc.send(bad)
            refusal = (await svc.replies_to(bad))[0].params["text"]
            assert "not a language code" in refusal and "abcdefgh" not in refusal


async def test_busy_and_rate_limited_read_as_help_with_when_to_retry() -> None:
    runner = GatedRunner()
    async with telegram_service(runner, max_jobs_per_requester=1) as svc:
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
    async with telegram_service(transcript_dir=str(tmp_path)) as svc:
        msg = message(f"https://youtu.be/{SHORT}")
        await svc.send(msg)
        final = await svc.summary((await svc.replies_to(msg))[0])
    assert "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;" in final and "<b>bold</b>" not in final
    points = quoted_points(final)
    assert any(" &amp; " in line for line in points) and " & " not in final
