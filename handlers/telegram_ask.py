"""Questions about a video in Telegram: `/ask <question>` as a reply to a summary (or to any message with a
link), `/ask <link> <question>`, and in a private chat a plain question within an hour of a summary.

Planned in the webhook's request (a `Question` step, or the usage text), answered in the background: the
search may have to fetch the transcript and build the video's index. The answer is one message
(bot/ask_render.py): the passages as timestamped quotes, with a model the model's answer first. Questions
count against the chat's rate limit like summaries (`RATE_LIMIT`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ask_render import telegram_answer, telegram_error
from summarizer.chats import ChatState
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.links import find_video_ids

USAGE = (
    "Ask about a video: reply to its summary with /ask &lt;question&gt;, or send "
    "/ask &lt;link&gt; &lt;question&gt;."
)


@dataclass(frozen=True, slots=True)
class Question:
    """A question about a video, answered in the background."""

    video_id: str
    text: str


def question_of(args: str) -> str:
    """The command's arguments without the video links in them."""
    return " ".join(word for word in args.split() if not find_video_ids(word))


def plan_ask(args: str, ids: list[str]) -> Question | str:
    """`/ask`: about the first of `ids` (the command's links, else the replied-to message's); the usage
    when there is no video or no question."""
    question = question_of(args)
    return Question(ids[0], question) if ids and question else USAGE


async def plan_follow_up(text: str, platform: str, chat_id: int, chats: ChatState) -> Question | None:
    """A plain message in a private chat after a summary: a question about that video; None when the chat
    had no summary within the last hour."""
    video_id = await chats.last_video(platform, chat_id)
    return Question(video_id, text) if video_id is not None and text.strip() else None


async def answer(question: Question, platform: str, chat_id: int, engine: Engine) -> str:
    """The message that answers `question` (or says why it cannot be)."""
    language = await engine.chats.language(platform, chat_id)
    languages = engine.languages_for([language] if language else None)
    try:
        found = await engine.asker.ask(question.video_id, question.text, languages, f"{platform}:{chat_id}")
    except SummaryError as error:
        return telegram_error(error, question.video_id)
    return telegram_answer(found)
