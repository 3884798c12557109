"""Questions about a video in Telegram: `/ask <question>` as a reply to a summary (or to any message with a
link), `/ask <link> <question>`, and in a private chat a plain question within an hour of a summary.

The answer is one message (bot/ask_render.py): the passages as timestamped quotes, with a model the
model's answer first. Questions count against the chat's rate limit like summaries (`RATE_LIMIT`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.ask_render import telegram_answer, telegram_error
from summarizer.chats import ChatState
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.links import find_video_ids

Send = Callable[[str], Awaitable[int | None]]  # sends an HTML message as the reply

USAGE = (
    "Ask about a video: reply to its summary with /ask &lt;question&gt;, or send "
    "/ask &lt;link&gt; &lt;question&gt;."
)


def question_of(args: str) -> str:
    """The command's arguments without the video links in them."""
    return " ".join(word for word in args.split() if not find_video_ids(word))


async def ask_command(
    args: str, ids: list[str], platform: str, chat_id: int, send: Send, engine: Engine, chats: ChatState
) -> None:
    """`/ask`: about the first of `ids` (the command's links, else the replied-to message's)."""
    question = question_of(args)
    if not ids or not question:
        await send(USAGE)
        return
    await answer(ids[0], question, platform, chat_id, send, engine, chats)


async def ask_follow_up(
    text: str, platform: str, chat_id: int, send: Send, engine: Engine, chats: ChatState
) -> bool:
    """A plain message in a private chat after a summary: answered as a question about that video.
    False (nothing sent) when the chat had no summary within the last hour."""
    video_id = await chats.last_video(platform, chat_id)
    if video_id is None or not text.strip():
        return False
    await answer(video_id, text, platform, chat_id, send, engine, chats)
    return True


async def answer(
    video_id: str, question: str, platform: str, chat_id: int, send: Send, engine: Engine, chats: ChatState
) -> None:
    language = await chats.language(platform, chat_id)
    languages = engine.languages_for([language] if language else None)
    try:
        found = await engine.asker.ask(video_id, question, languages, f"{platform}:{chat_id}")
    except SummaryError as error:
        await send(telegram_error(error, video_id))
        return
    await send(telegram_answer(found))
