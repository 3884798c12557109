"""Answers as chat messages at their largest: 5 long passages, the longest question and model answer, text
that looks like markup; within Telegram's and Discord's limits, every piece escaped."""

from __future__ import annotations

from bot.ask_render import NOTHING, discord_answer, telegram_answer
from bot.telegram_render import fits, parsed_text
from summarizer.ask import ANSWER_MAX_CHARS, MAX_QUESTION_CHARS, Answer
from tests.support.discord_service import check_message

VIDEO = "eMlx5fFNoYc"


def largest(text: str) -> Answer:
    passages = [
        {
            "text": text * 600,
            "start": 3600.0 * n + 5,
            "url": f"https://youtu.be/{VIDEO}?t={3600 * n + 5}",
            "score": 9.0,
        }
        for n in range(5)
    ]
    return Answer(
        VIDEO,
        ("<b>@everyone</b> " * 40)[:MAX_QUESTION_CHARS],
        passages,
        ("<i>ok</i> " * 200)[:ANSWER_MAX_CHARS],
        "llm",
    )


def test_telegram_answer_fits_one_message() -> None:
    for text in ("<b>x</b> & ", "😀 ", "word "):
        answer = largest(text)
        message = telegram_answer(answer)
        assert fits(message)
        assert "<b>@everyone</b>" in parsed_text(message)  # shown as text, not as markup
        assert message.count(f'<a href="https://youtu.be/{VIDEO}?t=') == 5
        assert "1:00:05" in message and "4:00:05" in message


def test_discord_answer_fits_one_embed() -> None:
    for text in ("**x** [a](b) ", "😀 ", "word "):
        message = discord_answer(largest(text))
        check_message(message)
        [embed] = message["embeds"]
        assert embed["description"].count(f"](https://youtu.be/{VIDEO}?t=") == 5


def test_no_passages() -> None:
    empty = Answer(VIDEO, "wombats?", [], None, "extractive")
    assert NOTHING in telegram_answer(empty)
    assert NOTHING in discord_answer(empty)["embeds"][0]["description"]
