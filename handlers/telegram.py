"""What a Telegram update means: find the links or the command, summarize, reply, edit as chunks finish.

Updates arrive as the plain dicts of the webhook's JSON (no python-telegram-bot objects are built).
Handling is two steps: `plan_update` decides what to send without calling Telegram (in the webhook's
request, so the first text that needs no answer — help, busy, an error, a cached summary in one message —
rides in the HTTP response), and `deliver` sends the rest through the Bot API in the background
(`deliver_update`). A stop (SIGTERM: every deploy) gives that `STOP_GRACE` to end; an answer it then cuts
short is replaced by a message saying the service restarted and to send it again, unless the next process
will answer (a hold in Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.progress import follow
from bot.telegram_render import MAX_ENTITIES, MAX_LENGTH, escape, render_error, render_final, render_progress
from core.formats import byte_size, is_language_code
from core.tasks import tell_cut_short
from handlers.payload import field
from handlers.telegram_ask import Placeholder, Question, plan_ask, plan_follow_up, send_answer
from summarizer.chats import ChatState
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Job
from summarizer.links import MAX_INPUT_CHARS, find_video_ids, page_url, parse_video_id
from summarizer.sinks import TelegramSink
from summarizer.subtitles import EXTENSIONS, Limits, is_file_video, too_large

if TYPE_CHECKING:
    from bot.telegram import TelegramClient

log = logging.getLogger(__name__)

# Links summarized from one message; more are mentioned, not done (the engine allows 3 jobs per chat too).
MAX_LINKS = 3
# Seconds between edits of one progress message (Telegram: about one message per second per chat).
EDIT_INTERVAL = 3.0

GROUPS = ("group", "supergroup")
_COMMAND = re.compile(r"/(?P<name>[A-Za-z0-9_]{1,64})(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+(?P<args>.*))?", re.S)
_RESET = ("auto", "default", "reset", "off")


def help_text(max_file_bytes: int) -> str:
    """/help's text, with the largest subtitle file taken (`SUBTITLES_MAX_BYTES`)."""
    return (
        "I summarize YouTube videos. Send me a link, for example\n"
        "https://youtu.be/LPZh9BOjkQs\n"
        "and I answer at once, fill in the key points as I go, and end with a TL;DR and the key points, "
        "each with a link to its moment in the video.\n\n"
        "/summary &lt;link&gt; summarize a video (in groups, or when the link is in a message you reply "
        "to)\n"
        "/ask &lt;question&gt; as a reply to a summary (or /ask &lt;link&gt; &lt;question&gt;): the moments "
        "of the video that answer it; in this chat you can also just ask right after a summary\n"
        "/lang &lt;code&gt; preferred caption language for this chat, e.g. /lang de (/lang shows it, "
        "/lang auto resets it)\n"
        "/help this text\n\n"
        "YouTube will not give me a video's captions? Send me its subtitle file (.srt, .vtt or .txt, "
        f"UTF-8, up to {byte_size(max_file_bytes)}; e.g. from <code>yt-dlp --write-subs "
        "--write-auto-subs --skip-download &lt;link&gt;</code>) with the video's link in the caption, so "
        "the points link into the video.\n\n"
        f"Up to {MAX_LINKS} links per message. In groups I only answer links, commands, and replies or "
        "mentions of me."
    )


# When the service stops (a deploy) before a message is answered, and no other process will answer it.
CUT_SHORT = "⚠️ The service restarted before I could answer; please send it again."
HINT = "Send me a YouTube link and I will summarize the video. /help tells more."
FILE_HINT = (
    "I can summarize from subtitle files: .srt, .vtt or .txt (UTF-8), with the video's link in the "
    "caption. Or send me a YouTube link. /help tells more."
)


@dataclass(frozen=True, slots=True)
class Chat:
    """Where an answer goes: the chat and the message it replies to (None: a message without an id)."""

    id: int
    reply_to: int | None


@dataclass(frozen=True, slots=True)
class Document:
    """A subtitle file the user sent, to read (downloaded in the background) and summarize."""

    document: dict[str, Any]
    ids: list[str]  # the video ids of the links in its caption


# What handling an update sends, in order: a text that needs no answer from Telegram, a job to show (its
# reply is sent, then edited as it runs; a cached summary too long for one message is sent in parts), or a
# subtitle file to download and read, or a question to answer.
Step = str | Job | Document | Question


def entity_text(text: str, entity: dict[str, Any]) -> str:
    """The part of `text` an entity covers (Telegram counts offsets in UTF-16 code units); "" for an entity
    whose offset or length is not a count."""
    start, length = entity.get("offset", 0), entity.get("length", 0)
    if not isinstance(start, int) or not isinstance(length, int) or start < 0 or length < 0:
        return ""
    units = text.encode("utf-16-le")
    return units[2 * start : 2 * (start + length)].decode("utf-16-le", errors="ignore")


def text_of(message: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The text (or caption) of a message and its entities, as much of them as Telegram lets a message
    have (4096 characters, 100 entities): what is beyond came from no Telegram client, and is not read."""
    for text, entities in (("text", "entities"), ("caption", "caption_entities")):
        if isinstance(message.get(text), str):
            listed = message.get(entities)
            items = listed[:MAX_ENTITIES] if isinstance(listed, list) else []
            return message[text][:MAX_LENGTH], [item for item in items if isinstance(item, dict)]
    return "", []


def links_in(message: dict[str, Any], text: str | None = None) -> list[str]:
    """Video ids of the links in a message's text or caption and its `url`/`text_link` entities.

    `text` replaces the message's own text (e.g. a command's arguments). At most `MAX_LINKS + 1`.
    """
    own, entities = text_of(message)
    parts = [own if text is None else text]
    for entity in entities:
        if entity.get("type") == "text_link":
            parts.append(str(entity.get("url", ""))[:MAX_INPUT_CHARS])
        elif entity.get("type") == "url":
            parts.append(entity_text(own, entity))
    # Linear in what it reads, and that is bounded: 4096 characters of text with 100 links of 2048 took
    # 73 ms of CPU with the one-pattern finder, 8 ms now (`.venv/bin/python benchmarks/bad_input.py`).
    return find_video_ids("\n".join(parts), limit=MAX_LINKS + 1)


def addressed_to_bot(message: dict[str, Any], bot_id: int | None, username: str | None) -> bool:
    """A reply to one of the bot's messages, or a mention of the bot."""
    if bot_id is not None and field(field(message, "reply_to_message"), "from").get("id") == bot_id:
        return True
    text, entities = text_of(message)
    if username:
        for entity in entities:
            if (
                entity.get("type") == "mention"
                and entity_text(text, entity).lower() == f"@{username.lower()}"
            ):
                return True
            if entity.get("type") == "text_mention" and field(entity, "user").get("id") == bot_id:
                return True
    return False


PLATFORM = "tg"  # how chat state and requesters name Telegram chats


def chat_of(update: dict[str, Any]) -> Chat | None:
    """Where answers to a message update go; None for other updates (and malformed ones: a chat id that
    is not a number)."""
    message = field(update, "message")
    chat_id = field(message, "chat").get("id")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        return None
    message_id = message.get("message_id")
    return Chat(chat_id, message_id if isinstance(message_id, int) else None)


def needs_username(update: dict[str, Any]) -> bool:
    """Whether handling `update` needs the bot's @username: a group message (replies and mentions), or a
    command addressed to a bot by name (`/help@SomeBot`)."""
    message = field(update, "message")
    if field(message, "chat").get("type") in GROUPS:
        return True
    command = _COMMAND.fullmatch(text_of(message)[0].strip())
    return command is not None and command["bot"] is not None


async def plan_update(
    update: dict[str, Any], engine: Engine, chats: ChatState, bot_id: int | None, username: str | None
) -> tuple[Chat, list[Step]] | None:
    """What to send for one update, decided without calling Telegram (None: nothing, it is ignored).

    Runs in the webhook's request: jobs are submitted here, so "busy" is known before the ack.
    `username` is the bot's @username (needed when `needs_username(update)`).
    """
    if (chat := chat_of(update)) is None:
        return None  # no chat to answer in
    message = field(update, "message")
    chat_type = field(message, "chat").get("type")
    if chat_type not in ("private", *GROUPS) or field(message, "from").get("is_bot"):
        return None
    group = chat_type in GROUPS
    text, _ = text_of(message)

    if command := _COMMAND.fullmatch(text.strip()):
        addressed = command["bot"] is not None
        if addressed and username and command["bot"].lower() != username.lower():
            return None  # meant for another bot in the group
        args = command["args"] or ""
        steps = await plan_command(
            command["name"].lower(), args, message, chat, engine, chats, group, addressed
        )
        return chat, steps

    ids = links_in(message)
    document = subtitle_document(message)
    if document is not None:
        # In a group, a file is someone's business unless it comes with a link or is meant for the bot.
        if not group or ids or addressed_to_bot(message, bot_id, username):
            return chat, [plan_document(document, ids, engine)]
        return None
    if ids:
        return chat, await plan_links(ids, chat, engine, chats)
    # A plain text message (not a caption) in a private chat right after a summary asks about that video.
    if not group and "text" in message and (asked := await plan_follow_up(text, PLATFORM, chat.id, chats)):
        return chat, [asked]
    if not group or addressed_to_bot(message, bot_id, username):
        return chat, [FILE_HINT if isinstance(message.get("document"), dict) else HINT]
    return None


async def plan_command(
    name: str,
    args: str,
    message: dict[str, Any],
    chat: Chat,
    engine: Engine,
    chats: ChatState,
    group: bool,
    addressed: bool,
) -> list[Step]:
    if name in ("start", "help"):
        return [help_text(engine.settings.subtitles_max_bytes)]
    if name == "lang":
        return [await language_command(args, chat.id, chats)]
    if name == "summary" and (document := subtitle_document(message)) is not None:
        return [plan_document(document, links_in(message, args), engine)]
    if name == "summary":
        ids = links_in(message, args) or links_in(field(message, "reply_to_message"))
        if not ids and args.split():
            with contextlib.suppress(SummaryError):
                ids = [parse_video_id(args.split()[0])]  # a bare video id
        if ids:
            return await plan_links(ids, chat, engine, chats)
        return [render_error(SummaryError("invalid_url")) + "\nUsage: /summary &lt;link&gt;"]
    if name == "ask":
        return [plan_ask(args, await asked_about(args, message, chat, chats))]
    if not group or addressed:  # in a group, an unknown bare /command is another bot's
        return [HINT]
    return []


async def asked_about(args: str, message: dict[str, Any], chat: Chat, chats: ChatState) -> list[str]:
    """The videos `/ask` is about: its links; else, as a reply, those of the replied-to message or the video
    it is about (`ChatState.message_video`: a summary or answer about a subtitle file without a video has
    no link); else the chat's last summary. A reply to a message about no video known is about none (not
    the last summary: that may be another video's)."""
    if ids := links_in(message, args):
        return ids
    replied = field(message, "reply_to_message")
    if not replied:
        last = await chats.last_video(PLATFORM, chat.id)
        return [last] if last is not None else []
    if ids := links_in(replied):
        return ids
    message_id = replied.get("message_id")
    about = await chats.message_video(PLATFORM, chat.id, message_id) if isinstance(message_id, int) else None
    return [about] if about is not None else []


async def language_command(args: str, chat_id: int, chats: ChatState) -> str:
    """`/lang` shows, `/lang de` sets, `/lang auto` resets the chat's preferred caption language."""
    words = args.split()
    if not words:
        current = await chats.language(PLATFORM, chat_id)
        defaults = ", ".join(chats.default_languages)
        if current:
            return f"Captions in <b>{escape(current)}</b> are preferred here (then {escape(defaults)})."
        return f"No language chosen here: captions in {escape(defaults)} are preferred. Try /lang de"
    code = words[0]
    if code.lower() in _RESET:
        await chats.set_language(PLATFORM, chat_id, None)
        return "Back to the default caption languages."
    if not is_language_code(code):
        return "That is not a language code. Try /lang de, /lang en or /lang pt-BR."
    await chats.set_language(PLATFORM, chat_id, code)
    return f"From now on captions in <b>{escape(code)}</b> are preferred in this chat. /lang auto resets it."


async def plan_links(ids: list[str], chat: Chat, engine: Engine, chats: ChatState) -> list[Step]:
    """A step per linked video (at most `MAX_LINKS`), after a note when there were more."""
    steps: list[Step] = []
    if len(ids) > MAX_LINKS:
        steps.append(f"That is more than {MAX_LINKS} links: I summarize the first {MAX_LINKS}.")
    language = await chats.language(PLATFORM, chat.id)
    languages = [language] if language else None
    await chats.set_last_video(PLATFORM, chat.id, ids[0])  # a plain question that follows is about it
    for video_id in ids[:MAX_LINKS]:
        steps.append(await plan_video(video_id, languages, chat, engine))
    return steps


async def plan_video(video_id: str, languages: list[str] | None, chat: Chat, engine: Engine) -> Step:
    """The job for one video, or the text that answers it (refused; a cached summary in one message)."""
    try:
        job, _ = await engine.submit(video_id, languages, f"{PLATFORM}:{chat.id}")
    except SummaryError as error:  # busy, rate_limited: the text says when to come back
        return render_error(error, video_id)
    if job.finished and len(parts := render_final(job, page_url(engine.settings.public_url, job.id))) == 1:
        return parts[0]
    return job


def webhook_answer(chat: Chat, text: str) -> dict[str, Any]:
    """A `sendMessage` for the webhook's HTTP response: Telegram sends it, we never learn its id.

    Bot API "Making requests when getting updates": one method call per response, performed on a 2xx.
    The same parameters `TelegramClient.send` uses.
    """
    answer: dict[str, Any] = {
        "method": "sendMessage",
        "chat_id": chat.id,
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if chat.reply_to is not None:
        answer["reply_parameters"] = {"message_id": chat.reply_to, "allow_sending_without_reply": True}
    return answer


async def deliver(
    chat: Chat, steps: list[Step], engine: Engine, client: TelegramClient, placeholder: Placeholder
) -> None:
    """Send `steps` in order through the Bot API (paced; after the acks in flight, bot/telegram.py); the
    `placeholder` of the step being sent, if it has one, meanwhile."""
    for step in steps:
        if isinstance(step, str):
            await client.send(chat.id, step, chat.reply_to)
        elif isinstance(step, Document):
            await summarize_document(step, chat, engine, client, placeholder)
        elif isinstance(step, Question):
            await send_answer(step, PLATFORM, chat.id, chat.reply_to, engine, client, placeholder)
        elif step.finished:  # a cached summary in several messages: the rest reply to the first
            first, *rest = render_final(step, page_url(engine.settings.public_url, step.id))
            if (message_id := await client.send(chat.id, first, chat.reply_to)) is not None:
                await send_rest(client, chat.id, message_id, rest)
        else:
            text = render_progress(step)
            if (message_id := await client.send(chat.id, text, chat.reply_to)) is not None:
                await engine.report(step, TelegramSink(chat.id, message_id, text))
        placeholder.message_id = None  # the step's answer is there (a job's, shown by the engine)


async def deliver_update(
    update: dict[str, Any],
    planned: tuple[Chat, list[Step]] | None,
    engine: Engine,
    client: Callable[[], Awaitable[TelegramClient]],
    held: bool,
) -> None:
    """Send what answers `update`: the steps the webhook `planned`, or with no plan all of it, decided here
    (with the bot's @username from the Bot API when it is needed). Cancelled once an answer is planned (the
    service stops and this did not end within `STOP_GRACE`), it tells the chat so (`CUT_SHORT`, in the
    "⏳ Searching…" or "⏳ Reading…" shown meanwhile, if any), unless the update is `held` in Redis (the next
    process answers it), and stays cancelled. (Cut short before a plan, the update may not even be meant
    for the bot: nothing is said.)"""
    owed_chat = planned[0] if planned is not None else None
    placeholder = Placeholder()
    try:
        built = await client()
        if planned is None:
            username = await built.username() if needs_username(update) else None
            planned = await plan_update(update, engine, engine.chats, built.bot_id, username)
        if planned is not None:
            owed_chat = planned[0]
            await deliver(*planned, engine, built, placeholder)
    except asyncio.CancelledError:
        if owed_chat is not None and not held:
            what = f"the answer to message {owed_chat.reply_to} in chat {owed_chat.id}"
            await tell_cut_short(_say_cut_short(client, owed_chat, placeholder.message_id), what)
        raise


async def _say_cut_short(
    client: Callable[[], Awaitable[TelegramClient]], chat: Chat, placeholder: int | None
) -> None:
    """Edit the `placeholder` message into `CUT_SHORT`; without one (or once the user deleted it), send that
    in reply to `chat`'s message (the client built first if it is not yet)."""
    built = await client()
    if placeholder is None or not await built.edit(chat.id, placeholder, CUT_SHORT):
        await built.send(chat.id, CUT_SHORT, chat.reply_to)


def subtitle_document(message: dict[str, Any]) -> dict[str, Any] | None:
    """The message's document when it is named like a subtitle file (.srt, .vtt, .txt)."""
    document = message.get("document")
    if not isinstance(document, dict) or not isinstance(document.get("file_id"), str):
        return None
    name = str(document.get("file_name") or "").lower()
    return document if name.endswith(EXTENSIONS) else None


def plan_document(document: dict[str, Any], ids: list[str], engine: Engine) -> Step:
    """A file over the size limit is answered at once (not downloaded at all); any other is read later."""
    name = str(document.get("file_name") or "subtitles")
    limits = Limits.from_settings(engine.settings)
    if isinstance(size := document.get("file_size"), int) and size > limits.max_bytes:
        return file_error(name, too_large(size, limits))
    return Document(document, ids)


async def summarize_document(
    file: Document, chat: Chat, engine: Engine, client: TelegramClient, placeholder: Placeholder
) -> None:
    """Summarize a subtitle file the user sent: its points link into the video of the first link in the
    caption (or of the `[id]` in a yt-dlp file name), else nowhere. The reply says "Reading…" at once (the
    `placeholder`) and becomes the summary, or says what is wrong with the file."""
    document, ids = file.document, file.ids
    name = str(document.get("file_name") or "subtitles")
    limits = Limits.from_settings(engine.settings)
    reading = f"⏳ Reading <b>{escape(name)}</b>…"
    if (message_id := await client.send(chat.id, reading, chat.reply_to)) is None:
        return
    placeholder.message_id = message_id
    live = LiveMessage(client, chat.id, message_id, reading)
    from bot.telegram import FileTooLarge, FileUnavailable

    try:
        data = await client.download(str(document["file_id"]), limits.max_bytes)
        job, finished = await engine.submit_file(
            data,
            name,
            f"{PLATFORM}:{chat.id}",
            video_id=ids[0] if ids else None,
            language=await engine.chats.language(PLATFORM, chat.id),
        )
    except FileTooLarge as error:  # (its message understated its size): said as when it had told it
        await live.say(file_error(name, too_large(error.size, limits)))
        return
    except FileUnavailable as error:
        await live.say(file_error(name, f"I could not download it: {error}."))
        return
    except SummaryError as error:  # a bad file says what is wrong; busy, rate_limited say when to come back
        await live.say(
            file_error(name, error.message) if error.code == "invalid_subtitles" else render_error(error)
        )
        return
    # Anything else (the CPU process crashed, say): the user still gets an answer, never "Reading…" forever.
    except Exception:
        log.exception("telegram: reading the document %s failed", name)
        await live.say(render_error(SummaryError("internal_error")))
        return
    # A question that follows without a link (a summary of a file without a video has none) is about it,
    # and so is one replying to this summary.
    await engine.chats.set_last_video(PLATFORM, chat.id, job.video_id)
    if is_file_video(job.video_id):
        await engine.chats.set_message_video(PLATFORM, chat.id, message_id, job.video_id)
    if finished:  # from the cache: "Reading…" becomes the summary at once
        await live.show(job)
    else:  # the display edits "Reading…" to the job's progress (and its end, however soon that comes)
        await engine.report(job, TelegramSink(chat.id, message_id, live.text))


def file_error(name: str, problem: str) -> str:
    return f"⚠️ Could not read <b>{escape(name)}</b>.\n{escape(problem)}"


async def show(job: Job, sink: TelegramSink, client: TelegramClient, public_url: str | None = None) -> None:
    """Edit the sink's message as `job` changes, until it shows the summary (linking to its page under
    `public_url` when it is long)."""
    live = LiveMessage(client, sink.chat_id, sink.message_id, sink.text, page_url(public_url, job.id))
    await follow(job, live.show, min_interval=EDIT_INTERVAL)


async def send_rest(client: TelegramClient, chat_id: int, message_id: int, rest: list[str]) -> None:
    """Continuation messages, each a reply to the summary's first message."""
    for text in rest:
        await client.send(chat_id, text, reply_to=message_id)


class LiveMessage:
    """The reply that shows a job: edited to each new state, silent once the user deleted it."""

    def __init__(
        self, client: TelegramClient, chat_id: int, message_id: int, text: str, page: str | None = None
    ) -> None:
        self.client, self.chat_id, self.message_id, self.text = client, chat_id, message_id, text
        self.page = page
        self.gone = False

    async def show(self, job: Job) -> None:
        if self.gone:
            return
        if not job.finished:
            await self._edit(render_progress(job))
            return
        first, *rest = render_final(job, self.page)
        if await self._edit(first):
            await send_rest(self.client, self.chat_id, self.message_id, rest)

    async def say(self, text: str) -> None:
        """Replace the message with `text` (an error, say)."""
        await self._edit(text)

    async def _edit(self, text: str) -> bool:
        if text != self.text:  # the same text again would only earn "message is not modified"
            self.gone = not await self.client.edit(self.chat_id, self.message_id, text)
            self.text = text
        return not self.gone
