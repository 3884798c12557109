"""Questions in Telegram, end to end: the real app under uvicorn, real webhook requests, the local Bot API
server. `/ask` as a reply to a summary, `/ask <link> <question>`, a plain question after a summary in a
private chat; the answer as timestamped quotes within Telegram's limits."""

from __future__ import annotations

import logging
import re

import pytest
from telegram import Chat, Document, Message, MessageEntity, User

from bot.ask_render import telegram_error
from bot.telegram_render import fits, parsed_text
from handlers.telegram_ask import SEARCHING
from summarizer.cache import pack
from summarizer.errors import SummaryError
from summarizer.links import parse_video_id, watch_url
from tests.support import subtitle_files as files
from tests.support.data import GERMAN, SHORT, UNCAPTIONED, transcript_fetches
from tests.support.fake_llm import FakeLLM
from tests.support.fake_telegram import BOT, Call
from tests.support.redis_mode import monitored, redis_client
from tests.support.telegram_service import (
    GROUP,
    NOW,
    PRIVATE,
    Service,
    document_message,
    link_entities,
    message,
    telegram_service,
    update,
)

pytestmark = pytest.mark.usefixtures("fast_pacing")

# LPZh9BOjkQs (3Blue1Brown, large language models), read in its captions: "Earlier this year, I was
# contacted by the Computer History Museum" (0:00); "reinforcement learning with human feedback" (4:39).
MUSEUM = "Which museum asked for this video?"
RLHF = "How are chatbots trained with human feedback?"
LINK = f"https://youtu.be/{SHORT}"


async def summarized(svc: Service, chat: Chat = PRIVATE, video_id: str = SHORT) -> Message:
    """Have the bot summarize `video_id` in `chat`; its summary message as a user replying to it sees it."""
    link = f"https://youtu.be/{video_id}"
    msg = message(link, chat=chat, entities=link_entities(link))
    await svc.send(msg)
    [reply] = await svc.replies_to(msg)
    return as_seen(reply, await svc.summary(reply), video_id)


def as_seen(reply: Call, summary: str, video_id: str | None) -> Message:
    """The bot's summary message as Telegram hands it over in a reply to it: the text, and its title linked
    to `video_id` (None: a summary of a subtitle file without a video, which links nowhere)."""
    entities = [MessageEntity(MessageEntity.TEXT_LINK, 2, 5, url=watch_url(video_id))] if video_id else []
    assert reply.message_id is not None
    chat = Chat(reply.params["chat_id"], Chat.SUPERGROUP if reply.params["chat_id"] < 0 else Chat.PRIVATE)
    bot = User(BOT["id"], "Summary", True)
    return Message(reply.message_id, NOW, chat, from_user=bot, text=parsed_text(summary), entities=entities)


async def summarized_file(svc: Service, name: str, link: str | None = None) -> Message:
    """Have the bot summarize SHORT's captions sent as the file `name` in the private chat, with `link` in
    the caption; its summary message as a user replying to it sees it."""
    msg = document_message(svc.fake.add_file(name, files.srt(SHORT).encode()), link)
    await svc.send(msg)
    [reply] = await svc.replies_to(msg)
    return as_seen(reply, await svc.summary(reply), parse_video_id(link) if link else None)


async def answered(svc: Service, msg: Message) -> str:
    """The bot's one reply to the question `msg`, once it shows the answer ("⏳ Searching…" until then)."""
    [reply] = await svc.replies_to(msg)
    text = await svc.answer_in(reply)
    assert fits(text) and reply.params["parse_mode"] == "HTML"
    return text


async def test_ask_as_a_reply_to_a_summary() -> None:
    async with telegram_service() as svc:
        summary = await summarized(svc, GROUP)
        ask = message(f"/ask {RLHF}", chat=GROUP, reply_to_message=summary)
        await svc.send(ask)
        text = await answered(svc, ask)
    assert text.startswith(f"🔎 <b>{RLHF}</b>")
    assert "reinforcement learning with human feedback" in text
    assert f'<a href="https://youtu.be/{SHORT}?t=' in text  # each quote starts with a link to its moment


async def test_ask_with_a_link_and_the_same_question_again() -> None:
    async with telegram_service() as svc:
        ask, again = (
            message(f"/ask {LINK} {MUSEUM}", entities=link_entities(f"/ask {LINK} {MUSEUM}"))
            for _ in range(2)
        )
        await svc.send(ask)
        text = await answered(svc, ask)
        [searching] = await svc.replies_to(ask)
        assert searching.params["text"] == SEARCHING  # while the transcript is read and searched
        await svc.send(again)
        [cached] = await svc.replies_to(again)
    assert f"<b>{MUSEUM}</b>" in text and "Computer History Museum" in text
    assert cached.params["text"] == text  # from the cache: the answer at once


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache's Redis close()
async def test_a_question_not_cached_reads_its_cached_answer_once(redis_url: str) -> None:
    """Not found in the cache before "⏳ Searching…" showed: the search does not read the cache again."""
    async with monitored(redis_url) as commands, telegram_service(redis_url=redis_url) as svc:
        ask = message(f"/ask {LINK} {MUSEUM}", entities=link_entities(f"/ask {LINK} {MUSEUM}"))
        await svc.send(ask)
        assert "Computer History Museum" in await answered(svc, ask)
    reads = [c for c in commands if c.startswith("GET cache:value:ask:")]
    assert len(reads) == 1 and f":{SHORT}:" in reads[0]


@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # aiocache's Redis close()
async def test_an_unexpected_failure_still_answers_and_is_logged_once(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The answer cached in Redis is of another shape (another version wrote it): reading it fails where no
    `SummaryError` is expected. The chat is told something went wrong, logged once with its traceback."""
    first, again = (
        message(f"/ask {LINK} {MUSEUM}", entities=link_entities(f"/ask {LINK} {MUSEUM}")) for _ in range(2)
    )
    async with telegram_service(redis_url=redis_url) as svc:
        await svc.send(first)
        await answered(svc, first)
    async with redis_client(redis_url) as redis:
        [key] = await redis.keys("cache:value:ask:*")
        await redis.set(key.decode(), pack({"passages": "of another shape"}))
    with caplog.at_level(logging.ERROR):
        async with telegram_service(redis_url=redis_url) as svc:  # (its memory layer holds no answer)
            await svc.send(again)
            [reply] = await svc.replies_to(again)
    assert reply.params["text"] == telegram_error(SummaryError("internal_error"), SHORT)
    [logged] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], TypeError)


async def test_a_plain_question_after_a_summary_in_a_private_chat() -> None:
    async with telegram_service() as svc:
        before = message(MUSEUM)
        await svc.send(before)
        [hint] = await svc.replies_to(before)
        assert "Send me a YouTube link" in hint.params["text"]  # no summary yet: not a question

        await summarized(svc)
        question = message(MUSEUM)
        await svc.send(question)
        assert "Computer History Museum" in await answered(svc, question)

        for chatter in ("thanks!", "ok cool"):  # not questions: the usual hint, no search
            said = message(chatter)
            await svc.send(said)
            [hint] = await svc.replies_to(said)
            assert "Send me a YouTube link" in hint.params["text"]
        without_mark = message("which museum asked for this video")
        await svc.send(without_mark)
        assert "Computer History Museum" in await answered(svc, without_mark)


async def test_a_captioned_file_after_a_summary_is_not_a_question() -> None:
    async with telegram_service() as svc:
        await summarized(svc)
        pdf = svc.fake.add_file("slides.pdf", b"%PDF-1.4")
        msg = message(None, document=Document.de_json(pdf, None), caption=MUSEUM)
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
    assert reply.params["text"].startswith("I can summarize from subtitle files")


async def test_in_a_group_a_plain_message_after_a_summary_is_not_a_question() -> None:
    async with telegram_service() as svc:
        await summarized(svc, GROUP)
        chatter = message(MUSEUM, chat=GROUP)
        await svc.send(chatter)
        sentinel = message("/help", chat=GROUP)
        await svc.send(sentinel)
        await svc.replies_to(sentinel)
        assert svc.sent_in_reply(chatter) == []


async def test_ask_without_a_video_or_a_question_explains_itself() -> None:
    async with telegram_service() as svc:
        for text in ("/ask", f"/ask {MUSEUM}", f"/ask {LINK}"):
            ask = message(text)
            await svc.send(ask)
            [reply] = await svc.replies_to(ask)
            assert "reply to its summary with /ask" in reply.params["text"]


async def test_a_malformed_replied_to_message_is_no_video() -> None:
    async with telegram_service() as svc:
        ask = message(f"/ask {MUSEUM}")
        body = update(ask)
        body["message"]["reply_to_message"] = "not a message"
        await svc.post(body)
        [reply] = await svc.replies_to(ask)
    assert "reply to its summary with /ask" in reply.params["text"]


async def test_a_video_without_captions() -> None:
    async with telegram_service() as svc:
        ask = message(f"/ask https://youtu.be/AAAAAAAAAAA {MUSEUM}")
        await svc.send(ask)
        text = await answered(svc, ask)
    assert text.startswith("⚠️ Could not search this video") and "no captions" in text


async def test_questions_share_the_chats_rate_limit() -> None:
    async with telegram_service(rate_limit="1/minute") as svc:
        first, second = message(f"/ask {LINK} {MUSEUM}"), message(f"/ask {LINK} {RLHF}")
        await svc.send(first)
        await svc.replies_to(first)
        await svc.send(second)
        assert "You asked a lot in a short time" in await answered(svc, second)


async def test_with_a_model_its_answer_comes_first() -> None:
    async with FakeLLM().running() as llm, telegram_service(llm_base_url=llm.url, llm_model="fake") as svc:
        ask = message(f"/ask {LINK} {MUSEUM}", entities=link_entities(f"/ask {LINK} {MUSEUM}"))
        await svc.send(ask)
        text = await answered(svc, ask)
    question, answer, *quotes = [part for part in text.split("\n") if part]
    assert question.startswith(f"🔎 <b>{MUSEUM}</b>")
    assert answer.startswith("Answer: ") and "(0:" in answer  # the model's citation, shown as a time
    assert 1 <= len(quotes) <= 5 and all(
        q.startswith(f'• <a href="https://youtu.be/{SHORT}?t=') for q in quotes
    )


async def test_ask_about_the_summary_of_a_subtitle_file_searches_that_file() -> None:
    async with telegram_service() as svc:
        link = f"https://youtu.be/{UNCAPTIONED}"  # YouTube (the caption folder) has no captions for it
        summary = await summarized_file(svc, "lecture.srt", link)
        fetched = transcript_fetches()
        replied = message(f"/ask {RLHF}", reply_to_message=summary)
        with_link = message(f"/ask {link} {MUSEUM}", entities=link_entities(f"/ask {link} {MUSEUM}"))
        for ask in (replied, with_link):
            await svc.send(ask)
        rlhf, museum = await answered(svc, replied), await answered(svc, with_link)
        assert transcript_fetches() == fetched  # no provider was asked: the file's own transcript answered
        # The file is this chat's: elsewhere the video is asked about as YouTube has it.
        elsewhere = message(
            f"/ask {link} {MUSEUM}", chat=GROUP, entities=link_entities(f"/ask {link} {MUSEUM}")
        )
        await svc.send(elsewhere)
        other = await answered(svc, elsewhere)
    assert rlhf.startswith(f"🔎 <b>{RLHF}</b>") and "reinforcement learning with human feedback" in rlhf
    assert f'<a href="https://youtu.be/{UNCAPTIONED}?t=' in rlhf  # the quotes link into the file's video
    assert "Computer History Museum" in museum
    assert other.startswith("⚠️ Could not search this video") and "no captions" in other


async def test_ask_about_the_summary_of_a_file_without_a_video() -> None:
    async with telegram_service() as svc:
        summary = await summarized_file(svc, "notes.srt")
        fetched = transcript_fetches()
        follow_up = message(MUSEUM)  # a plain question right after the summary, in a private chat
        replied = message(f"/ask {RLHF}", reply_to_message=summary)  # the summary has no link to find it by
        for ask in (follow_up, replied):
            await svc.send(ask)
        museum, text = await answered(svc, follow_up), await answered(svc, replied)
        assert transcript_fetches() == fetched
    assert "Computer History Museum" in museum
    assert text.startswith(f"🔎 <b>{RLHF}</b>") and "reinforcement learning with human feedback" in text
    assert "<a " not in text and "file-" not in text  # nothing links to a video that is not there
    assert re.search(r"• \d+:\d\d \w", text)  # the quotes keep their times, as plain text


async def test_ask_as_a_reply_to_an_older_summary_of_a_file_asks_about_that_file() -> None:
    """A file without a video summarized and asked about, then a video summarized: `/ask` as a reply to the
    file's summary or to its answer (they have no link to find their video by) asks about the file, not
    about the chat's last summary."""
    async with telegram_service() as svc:
        summary = await summarized_file(svc, "notes.srt")
        first = message(f"/ask {MUSEUM}", reply_to_message=summary)
        await svc.send(first)
        [answer] = await svc.replies_to(first)
        answer_seen = as_seen(answer, await answered(svc, first), None)
        await summarized(svc, video_id=GERMAN)
        to_summary = message(f"/ask {MUSEUM}", reply_to_message=summary)
        to_answer = message(f"/ask {RLHF}", reply_to_message=answer_seen)
        for ask in (to_summary, to_answer):
            await svc.send(ask)
        museum, rlhf = await answered(svc, to_summary), await answered(svc, to_answer)
    assert "Computer History Museum" in museum and "<a " not in museum
    assert "reinforcement learning with human feedback" in rlhf and "<a " not in rlhf
