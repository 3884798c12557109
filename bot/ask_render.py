"""An answer to a question about a video as a chat message: the question, the model's answer when there is
one, then the passages as timestamped quotes (each time a link to its moment), within each platform's
limits (pure functions; every video- or user-derived text escaped).

Sizes: at most 5 passages (summarizer/retrieval.py), a question of at most 300 characters and a model's
answer of at most 1000 (summarizer/ask.py). Telegram: 5 x 500 + 1,300 + the heading stays under its 4096;
Discord: one embed, title the question (256), description the answer and 5 x 550 under its 4096.
"""

from __future__ import annotations

from bot import discord_render, telegram_render
from bot.discord_render import Message
from summarizer.ask import Answer
from summarizer.errors import SummaryError
from summarizer.links import watch_url
from summarizer.models import Point

TELEGRAM_PASSAGE_MAX = 500
DISCORD_PASSAGE_MAX = 550
NOTHING = "Nothing in this video's captions matches that question; try other words."


def _points(answer: Answer) -> list[Point]:
    return [Point(p["text"], p["start"], p["url"]) for p in answer.passages]


def telegram_answer(answer: Answer) -> str:
    """The answer as one Telegram HTML message."""
    video = telegram_render.video_ref(answer.video_id)
    lines = [f"🔎 <b>{telegram_render.escape(answer.question)}</b>{video}"]
    if answer.answer:
        lines += ["", telegram_render.escape(answer.answer)]
    lines.append("")
    if answer.passages:
        lines += [telegram_render.point_line(p, TELEGRAM_PASSAGE_MAX) for p in _points(answer)]
    else:
        lines.append(NOTHING)
    return "\n".join(lines)


def telegram_error(error: SummaryError, video_id: str | None = None) -> str:
    """Why a question got no answer, and what to do."""
    text = error.message if error.code in ("too_long", "invalid_question") else None
    text = text or telegram_render.HELP.get(error.code, error.message)
    if error.code == "rate_limited" and error.retry_after:
        text = f"You asked a lot in a short time. Please try again in {error.retry_after} s."
    return (
        f"⚠️ Could not search this video{telegram_render.video_ref(video_id)}.\n{telegram_render.escape(text)}"
    )


def discord_answer(answer: Answer) -> Message:
    """The answer as one Discord message: an embed titled with the question, linked to the video."""
    lines = [discord_render.inert(answer.answer, 1000), ""] if answer.answer else []
    if answer.passages:
        lines += [discord_render.point_line(p, DISCORD_PASSAGE_MAX) for p in _points(answer)]
    else:
        lines.append(NOTHING)
    embed = {
        "title": discord_render.inert(answer.question, discord_render.TITLE_MAX),
        "url": watch_url(answer.video_id),
        "description": "\n".join(lines),
        "color": discord_render.YOUTUBE_RED,
    }
    return discord_render.message(embeds=[embed])
