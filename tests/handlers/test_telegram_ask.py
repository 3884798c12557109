"""Questions in Telegram, end to end: the real app under uvicorn, real webhook requests, the local Bot API
server. `/ask` as a reply to a summary, `/ask <link> <question>`, a plain question after a summary in a
private chat; the answer as timestamped quotes within Telegram's limits."""

from __future__ import annotations

import pytest
from telegram import Chat, Document, Message, MessageEntity, User

from bot.telegram_render import fits, parsed_text
from summarizer.links import watch_url
from tests.support.data import SHORT
from tests.support.fake_llm import FakeLLM
from tests.support.fake_telegram import BOT, Call
from tests.support.telegram_service import (
    GROUP,
    NOW,
    PRIVATE,
    Service,
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


async def summarized(svc: Service, chat: Chat = PRIVATE) -> Message:
    """Have the bot summarize SHORT in `chat`; its summary message as a user replying to it sees it."""
    msg = message(f"{LINK}", chat=chat, entities=link_entities(LINK))
    await svc.send(msg)
    [reply] = await svc.replies_to(msg)
    text = parsed_text(await svc.summary(reply))
    # Telegram hands the replied-to message over with its entities: the title links to the video.
    title = MessageEntity(MessageEntity.TEXT_LINK, 2, 5, url=watch_url(SHORT))
    assert reply.message_id is not None
    return Message(
        reply.message_id, NOW, chat, from_user=User(BOT["id"], "Summary", True), text=text, entities=[title]
    )


def answer_of(reply: Call) -> str:
    text: str = reply.params["text"]
    assert fits(text) and reply.params["parse_mode"] == "HTML"
    return text


async def test_ask_as_a_reply_to_a_summary() -> None:
    async with telegram_service() as svc:
        summary = await summarized(svc, GROUP)
        ask = message(f"/ask {RLHF}", chat=GROUP, reply_to_message=summary)
        await svc.send(ask)
        [reply] = await svc.replies_to(ask)
    text = answer_of(reply)
    assert text.startswith(f"🔎 <b>{RLHF}</b>")
    assert "reinforcement learning with human feedback" in text
    assert f'<a href="https://youtu.be/{SHORT}?t=' in text  # each quote starts with a link to its moment


async def test_ask_with_a_link() -> None:
    async with telegram_service() as svc:
        ask = message(f"/ask {LINK} {MUSEUM}", entities=link_entities(f"/ask {LINK} {MUSEUM}"))
        await svc.send(ask)
        [reply] = await svc.replies_to(ask)
    text = answer_of(reply)
    assert f"<b>{MUSEUM}</b>" in text and "Computer History Museum" in text


async def test_a_plain_question_after_a_summary_in_a_private_chat() -> None:
    async with telegram_service() as svc:
        before = message(MUSEUM)
        await svc.send(before)
        [hint] = await svc.replies_to(before)
        assert "Send me a YouTube link" in hint.params["text"]  # no summary yet: not a question

        await summarized(svc)
        question = message(MUSEUM)
        await svc.send(question)
        [reply] = await svc.replies_to(question)
        assert "Computer History Museum" in answer_of(reply)

        for chatter in ("thanks!", "ok cool"):  # not questions: the usual hint, no search
            said = message(chatter)
            await svc.send(said)
            [hint] = await svc.replies_to(said)
            assert "Send me a YouTube link" in hint.params["text"]
        without_mark = message("which museum asked for this video")
        await svc.send(without_mark)
        [reply] = await svc.replies_to(without_mark)
    assert "Computer History Museum" in answer_of(reply)


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
        [reply] = await svc.replies_to(ask)
    assert reply.params["text"].startswith("⚠️ Could not search this video")
    assert "no captions" in reply.params["text"]


async def test_questions_share_the_chats_rate_limit() -> None:
    async with telegram_service(rate_limit="1/minute") as svc:
        first, second = message(f"/ask {LINK} {MUSEUM}"), message(f"/ask {LINK} {RLHF}")
        await svc.send(first)
        await svc.replies_to(first)
        await svc.send(second)
        [reply] = await svc.replies_to(second)
    assert "You asked a lot in a short time" in reply.params["text"]


async def test_with_a_model_its_answer_comes_first() -> None:
    async with FakeLLM().running() as llm, telegram_service(llm_base_url=llm.url, llm_model="fake") as svc:
        ask = message(f"/ask {LINK} {MUSEUM}", entities=link_entities(f"/ask {LINK} {MUSEUM}"))
        await svc.send(ask)
        [reply] = await svc.replies_to(ask)
    question, answer, *quotes = [part for part in answer_of(reply).split("\n") if part]
    assert question.startswith(f"🔎 <b>{MUSEUM}</b>")
    assert answer.startswith("Answer: ") and "(0:" in answer  # the model's citation, shown as a time
    assert 1 <= len(quotes) <= 5 and all(
        q.startswith(f'• <a href="https://youtu.be/{SHORT}?t=') for q in quotes
    )
