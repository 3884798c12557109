"""Questions about a video in Telegram: `/ask <question>` as a reply to a summary or an answer (or to any
message with a link; not a reply and without a link, about the chat's last summary within an hour), `/ask
<link> <question>`, and in a private chat a plain question (a "?" in it or a question word first) within an
hour of a summary. A video the chat summarized from a subtitle file is searched in that file
(`Asker.subject`); the summary and the answers of one without a video, which have no link to it, are
remembered as about it (`ChatState.message_video`).

Planned in the webhook's request (a `Question` step, or the usage text), answered in the background: the
search may have to fetch the transcript and build the video's index, so "⏳ Searching…" shows meanwhile
(a cached answer comes at once). The answer is one message (bot/ask_render.py): the passages as timestamped
quotes, with a model the model's answer first. Questions count against the chat's rate limit like
summaries (`RATE_LIMIT`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.ask_render import telegram_answer, telegram_error
from summarizer.chats import ChatState
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.links import find_video_ids
from summarizer.subtitles import is_file_video

if TYPE_CHECKING:
    from bot.telegram import TelegramClient

log = logging.getLogger(__name__)

SEARCHING = "⏳ Searching…"
USAGE = (
    "Ask about a video: reply to its summary with /ask &lt;question&gt;, or send "
    "/ask &lt;link&gt; &lt;question&gt;."
)


@dataclass(slots=True)
class Placeholder:
    """The message that stands for an answer while it is worked on ("⏳ Searching…", "⏳ Reading…"): its id
    once sent, until the answer is there. A stop that cuts the answer short edits it to say so."""

    message_id: int | None = None


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


# First words of a question without a "?" (people often leave it out in chat), in the languages of the
# transcripts in tests/data and the next most common on YouTube.
_QUESTION_WORDS_BY_LANGUAGE = (
    "what where when why how who whom whose which does do did is are was were can could should would will "
    "explain tell find show",  # en
    "was wo wann warum wieso weshalb wie wer wen wem welche welcher welches gibt erklärt",  # de
    "que quoi où quand pourquoi comment qui quel quelle quels quelles est-ce combien",  # fr
    "qué dónde cuándo por cómo quién cuál",  # es
)
QUESTION_WORDS = frozenset(word for words in _QUESTION_WORDS_BY_LANGUAGE for word in words.split())


def looks_like_question(text: str) -> bool:
    """A "?" in it, or a question word first: "where does he explain X", not "thanks"."""
    words = text.split()
    return "?" in text or (bool(words) and words[0].lower().strip(",.:;!¿¡") in QUESTION_WORDS)


async def plan_follow_up(text: str, platform: str, chat_id: int, chats: ChatState) -> Question | None:
    """A question (`looks_like_question`) in a private chat after a summary: about that video; None for
    other messages and when the chat had no summary within the last hour."""
    if not looks_like_question(text):
        return None
    video_id = await chats.last_video(platform, chat_id)
    return Question(video_id, text) if video_id is not None else None


async def send_answer(
    question: Question,
    platform: str,
    chat_id: int,
    reply_to: int | None,
    engine: Engine,
    client: TelegramClient,
    placeholder: Placeholder,
) -> None:
    """Send the message that answers `question` (or says why it cannot be, also when that was unexpected:
    logged): at once when the answer is cached, else `SEARCHING` first, edited to the answer once it is
    found (a cold question fetches the transcript and builds its index: seconds at 0.1 CPU), as a summary's
    "Working on…" is (`placeholder` meanwhile)."""
    requester = f"{platform}:{chat_id}"
    searching = None
    try:
        language = await engine.chats.language(platform, chat_id)
        languages = engine.languages_for([language] if language else None)
        subject, found = await engine.asker.look_up(question.video_id, languages, question.text, requester)
        if found is None:
            searching = placeholder.message_id = await client.send(chat_id, SEARCHING, reply_to)
            found = await engine.asker.ask(subject, question.text, requester, looked_up=True)
        text = telegram_answer(found)
    except SummaryError as error:
        text = telegram_error(error, question.video_id)
    # Anything else (an answer cached in another shape, say): an answer still, never "Searching…" forever.
    except Exception:
        log.exception("telegram: the question on video %s failed", question.video_id)
        text = telegram_error(SummaryError("internal_error"), question.video_id)
    if searching is None:
        answer = await client.send(chat_id, text, reply_to)
    else:
        answer = searching if await client.edit(chat_id, searching, text) else None
    if answer is not None and is_file_video(question.video_id):  # no link in it: a reply to it is about it
        await engine.chats.set_message_video(platform, chat_id, answer, question.video_id)
