"""A job as Telegram messages (HTML parse mode): progress, the final summary split at 4096, failures.

The final summary reads as a table of contents: the video's title, its topics, the TL;DR as timestamped
bullets, then one chapter per chunk (its title and time range) with its key points folded away in an
expandable blockquote (Bot API 7.4). Pure functions. Every piece of user- or video-derived text goes
through `html.escape`.
"""

from __future__ import annotations

import html
import math
import re

from bot.fallback import fallback_note
from bot.render_parts import chapter_title, time_range, utf16_len, video_name
from core.formats import clock
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.links import watch_url
from summarizer.models import ChunkSummary, Point, moment_url
from summarizer.subtitles import is_file_video, links_nowhere

# Telegram's limit for a message text (`MessageLimit.MAX_TEXT_LENGTH`), counted after entity parsing: the
# text without its tags, `&lt;` as one character, in UTF-16 code units (see `parsed_len`).
MAX_LENGTH = 4096
# Telegram formats at most 100 entities (bold, link, blockquote, …) of a message and sends the rest as
# plain text (tdlib/telegram-bot-api#820, rubenlagus/TelegramBots#854): a message never has more. Their
# links (at most ~45 characters each) then stay far below the ~9500 characters of entity data Telegram
# refuses as ENTITIES_TOO_LONG (tdlib/telegram-bot-api#165).
MAX_ENTITIES = 100

TITLE_MAX = 256  # the video's title (YouTube allows 100 characters)
CHANNEL_MAX = 100  # the channel's name after it (YouTube allows 50 characters)
CHAPTER_TITLE_MAX = 200  # a chunk's title (a few key phrases)
TOPICS_MAX = 400  # the topics line
TLDR_POINT_MAX = 600  # one TL;DR point: five of them (2-5, the contract) keep the head inside one message
POINT_MAX = 3000  # one key point: with its chapter's heading it always fits a message on its own

# What a user can do when YouTube will not hand the captions to this server.
SEND_FILE = (
    "You can send me the video's subtitle file (.srt or .vtt, e.g. from yt-dlp --write-subs "
    "--write-auto-subs) with its link in the caption, and I summarize that."
)
# What a user can do about each failure, by the engine's error code.
HELP: dict[str, str] = {
    "invalid_url": "That is not a YouTube video link. Send one like https://youtu.be/LPZh9BOjkQs",
    "no_transcript": "This video has no captions I can use, so I cannot summarize it. "
    "Videos with subtitles or auto-generated captions work.",
    "transcripts_disabled": "The uploader turned captions off for this video, so I cannot summarize it.",
    "video_unavailable": "This video is private, deleted or not available here. Check the link.",
    "age_restricted": "This video is age-restricted: YouTube does not share its captions without a login. "
    + SEND_FILE,
    "blocked": "YouTube is refusing this server's requests right now. Please try again later. " + SEND_FILE,
    "po_token_required": "YouTube does not hand out this video's captions to bots. " + SEND_FILE,
    "provider_unavailable": "The service I get captions from is not answering right now. Please try again "
    "later. " + SEND_FILE,
    "youtube_error": "YouTube answered in an unexpected way. Please try again later.",
    "timeout": "This one took too long. Please try again later; shorter videos go faster.",
    "busy": "I am busy with other videos right now.",
    "rate_limited": "You already have a few summaries in progress; let them finish first.",
    "internal_error": "Something went wrong on my side. Please try again.",
}

# Every `<` of our HTML starts a tag (text is escaped): tags are what Telegram removes, opening tags its
# entities.
_TAG = re.compile(r"<[^>]*>")
_OPENING_TAG = re.compile(r"<[a-z]")


def parsed_text(html_text: str) -> str:
    """What Telegram makes of our HTML: the text without tags, entities decoded."""
    return html.unescape(_TAG.sub("", html_text))


def parsed_len(html_text: str) -> int:
    """The length Telegram checks against `MAX_LENGTH`: the text after entity parsing, in UTF-16 units."""
    return utf16_len(parsed_text(html_text))


def entity_count(html_text: str) -> int:
    """How many entities Telegram makes of our HTML: one per opening tag."""
    return len(_OPENING_TAG.findall(html_text))


def fits(html_text: str, limit: int = MAX_LENGTH, entities: int = MAX_ENTITIES) -> bool:
    """Whether `html_text` is a message Telegram takes whole (length and entities)."""
    return parsed_len(html_text) <= limit and entity_count(html_text) <= entities


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _clip(text: str, room: int) -> str:
    """`text` shortened with "…" to at most `room` UTF-16 units, then escaped."""
    if utf16_len(text) <= room:
        return escape(text)
    while text and utf16_len(text) + 1 > room:
        text = text[: max(0, len(text) - max(1, utf16_len(text) + 1 - room))]
    return escape(text.rstrip()) + "…"


def _link(url: str, label: str) -> str:
    if links_nowhere(url):  # a subtitle file sent without a video: nothing to link to
        return label
    return f'<a href="{html.escape(url)}">{label}</a>'


def point_line(point: Point, room: int = POINT_MAX) -> str:
    """`• 12:34 text`, the time a link to that moment of the video; the text at most `room` long."""
    return f"• {_link(point.url, clock(point.start))} {_clip(point.text, room)}"


def video_label(job: Job) -> str:
    """The title (or the id) linked to the video, then its channel."""
    return _link(watch_url(job.video_id), _clip(video_name(job), TITLE_MAX)) + byline(job)


def byline(job: Job) -> str:
    """` — Channel` when the video's channel is known, else nothing."""
    return f" — {_clip(job.channel, CHANNEL_MAX)}" if job.channel else ""


def topics_line(job: Job) -> list[str]:
    """The video's key phrases as an italic line, or nothing."""
    return [f"<i>{_clip(' · '.join(job.topics), TOPICS_MAX)}</i>"] if job.topics else []


def chapter_heading(job: Job, chunk: ChunkSummary, continued: bool = False) -> str:
    """`<b>title</b> (time range)`: the chapter's title, its time range a link to its start."""
    span = _link(moment_url(job.video_id, chunk.start), time_range(chunk))
    title = _clip(chapter_title(chunk), CHAPTER_TITLE_MAX)
    return f"<b>{title}</b> ({span}{', continued' if continued else ''})"


def _progress_line(job: Job) -> str:
    name = f"<b>{_clip(video_name(job), TITLE_MAX)}</b>{byline(job)}"
    if job.status is JobStatus.QUEUED:
        return f"⏳ Working on {name}… waiting for my turn"
    if job.total is None:
        return f"⏳ Working on {name}… fetching the captions"
    return f"⏳ Working on {name}… {len(job.chunks)}/{job.total} parts"


def _note(job: Job) -> list[str]:
    """The fallback note as an italic line, or nothing."""
    note = fallback_note(job)
    return [f"<i>{escape(note)}</i>"] if note else []


def render_progress(job: Job) -> str:
    """One message: what is happening, the topics once known, then a line per chapter done so far (and the
    one a model is writing), the newest when they do not all fit."""
    head = "\n".join([_progress_line(job), *_note(job), *topics_line(job)])
    lines = [chapter_heading(job, chunk) for chunk in job.chunks]
    if job.partial:
        lines.append(f"{chapter_heading(job, job.partial)} <i>writing…</i>")
    kept: list[str] = []
    for line in reversed(lines):
        # Room for the line, its newline and a possible "…" line.
        if not fits("\n".join([head, "", "…", line, *reversed(kept)])):
            break
        kept.append(line)
    kept.reverse()
    if len(kept) < len(lines):
        kept.insert(0, "…")
    return "\n".join([head, *([""] if kept else []), *kept])


def render_error(error: SummaryError, video_id: str | None = None) -> str:
    """A failure as help: what went wrong, what to do, when to come back."""
    text = error.message if error.code == "too_long" else HELP.get(error.code, error.message)
    if error.code in ("busy", "rate_limited") and error.retry_after:
        text += f" Please try again in ~{math.ceil(error.retry_after / 60)} min."
    return f"⚠️ Could not summarize this video{video_ref(video_id)}.\n{escape(text)}"


def video_ref(video_id: str | None) -> str:
    """` (<the video's id, linked to it>)` after a heading; nothing without a video (a subtitle file's)."""
    return f" ({_link(watch_url(video_id), video_id)})" if video_id and not is_file_video(video_id) else ""


def _head(job: Job, page: str | None = None) -> str:
    """The title, the link to the summary's page, the topics, the TL;DR and the fallback note: always the
    start of the first message."""
    head = [f"📝 {video_label(job)}", *page_line(page), *topics_line(job)]
    if job.tldr_points:
        head += ["", "<b>TL;DR</b>", *(point_line(point, TLDR_POINT_MAX) for point in job.tldr_points)]
    elif job.tldr:  # summaries cached before the TL;DR had points
        head += ["", "<b>TL;DR</b>", _clip(job.tldr, MAX_LENGTH // 2)]
    if note := _note(job):
        head += ["", *note]
    head += ["", "<b>Key points</b>"]
    if not any(chunk.points for chunk in job.chunks):
        head.append("No key points were found in this video's captions.")
    return "\n".join(head)


def _quoted(heading: str, lines: list[str]) -> str:
    """The heading, then the lines folded in an expandable blockquote."""
    points = "\n".join(lines)
    return f"{heading}\n<blockquote expandable>{points}</blockquote>"


def chapter_blocks(job: Job, chunk: ChunkSummary) -> list[str]:
    """A chapter as HTML blocks that each fit a message: its heading, its points folded in an expandable
    blockquote. Only a chapter too long for one message has more than one (each with the heading, marked
    "continued"), so no tag is ever split between messages."""
    heading = chapter_heading(job, chunk)
    if not chunk.points:
        return [heading]
    blocks: list[str] = []
    lines: list[str] = []
    for point in chunk.points:
        line = point_line(point)
        if lines and not fits(_quoted(heading, [*lines, line])):
            blocks.append(_quoted(heading, lines))
            heading, lines = chapter_heading(job, chunk, continued=True), []
        lines.append(line)
    blocks.append(_quoted(heading, lines))
    return blocks


def page_line(page: str | None) -> list[str]:
    """A link to the summary's page (`PUBLIC_URL/s/<id>`), or nothing."""
    return [_link(page, "🔗 The whole summary on one page")] if page else []


def render_final(job: Job, page: str | None = None) -> list[str]:
    """The finished job as few messages, each within Telegram's limits: the head, then whole chapters.
    A summary that takes more than one message links to `page`, the summary's page, when there is one."""
    if job.status is JobStatus.FAILED:
        return [render_error(job.error or SummaryError("internal_error"), job.video_id)]
    chapters = [block for chunk in job.chunks for block in chapter_blocks(job, chunk)]
    messages = pack([_head(job), *chapters])
    return pack([_head(job, page), *chapters]) if page and len(messages) > 1 else messages


def pack(blocks: list[str], limit: int = MAX_LENGTH, entities: int = MAX_ENTITIES) -> list[str]:
    """Join blocks with newlines into as few messages as the order allows, each at most `limit` long after
    entity parsing and with at most `entities` entities.

    A block is never split; each must fit on its own.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n{block}" if current else block
        if current and not fits(joined, limit, entities):
            messages.append(current)
            current = block
        else:
            current = joined
    if current:
        messages.append(current)
    return messages
