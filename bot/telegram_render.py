"""A job as Telegram messages (HTML parse mode): progress, the final summary split at 4096, failures.

Pure functions. Every piece of user- or video-derived text goes through `html.escape`.
"""

from __future__ import annotations

import html
import math

from bot.fallback import fallback_note
from core.formats import clock
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.links import watch_url
from summarizer.models import Point

# Telegram's limit for a message text (`MessageLimit.MAX_TEXT_LENGTH`), counted after entity parsing.
# We count the HTML source in UTF-16 units, which is never less than what Telegram counts.
MAX_LENGTH = 4096

# What a user can do about each failure, by the engine's error code.
HELP: dict[str, str] = {
    "invalid_url": "That is not a YouTube video link. Send one like https://youtu.be/LPZh9BOjkQs",
    "no_transcript": "This video has no captions I can use, so I cannot summarize it. "
    "Videos with subtitles or auto-generated captions work.",
    "transcripts_disabled": "The uploader turned captions off for this video, so I cannot summarize it.",
    "video_unavailable": "This video is private, deleted or not available here. Check the link.",
    "age_restricted": "This video is age-restricted: YouTube does not share its captions without a login.",
    "blocked": "YouTube is refusing this server's requests right now. Please try again later.",
    "po_token_required": "YouTube does not hand out this video's captions to bots. Sorry!",
    "youtube_error": "YouTube answered in an unexpected way. Please try again later.",
    "timeout": "This one took too long. Please try again later; shorter videos go faster.",
    "busy": "I am busy with other videos right now.",
    "rate_limited": "You already have a few summaries in progress; let them finish first.",
    "internal_error": "Something went wrong on my side. Please try again.",
}


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: characters beyond U+FFFF count twice)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _clip(text: str, room: int) -> str:
    """`text` escaped, shortened with "…" so the escaped form fits in `room` units."""
    escaped = escape(text)
    while utf16_len(escaped) > room and text:
        text = text[: max(0, len(text) - max(1, utf16_len(escaped) - room))]
        escaped = escape(text.rstrip()) + "…"
    return escaped


def point_line(point: Point, room: int = MAX_LENGTH) -> str:
    """`• 12:34 text`, the time a link to that moment of the video."""
    prefix = f'• <a href="{html.escape(point.url)}">{clock(point.start)}</a> '
    return prefix + _clip(point.text, room - utf16_len(prefix))


def video_label(job: Job) -> str:
    """The title (or the id) linked to the video."""
    return f'<a href="{html.escape(watch_url(job.video_id))}">{escape(job.title or job.video_id)}</a>'


def _progress_line(job: Job) -> str:
    name = f"<b>{escape(job.title or job.video_id)}</b>"
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
    """One message: what is happening, then the points so far, those of the chunk being written last
    (the newest, when they do not all fit)."""
    head = "\n".join([_progress_line(job), *_note(job)])
    points = job.points + (job.partial.points if job.partial else [])
    lines = [point_line(point) for point in points]
    used = utf16_len(head)
    kept: list[str] = []
    for line in reversed(lines):
        # Room for the line, its newline and a possible "…" line.
        if used + utf16_len(line) + 1 + 2 > MAX_LENGTH:
            break
        kept.append(line)
        used += utf16_len(line) + 1
    kept.reverse()
    if len(kept) < len(lines):
        kept.insert(0, "…")
    return "\n".join([head, *([""] if kept else []), *kept])


def render_error(error: SummaryError, video_id: str | None = None) -> str:
    """A failure as help: what went wrong, what to do, when to come back."""
    text = error.message if error.code == "too_long" else HELP.get(error.code, error.message)
    if error.code in ("busy", "rate_limited") and error.retry_after:
        text += f" Please try again in ~{math.ceil(error.retry_after / 60)} min."
    subject = f' (<a href="{html.escape(watch_url(video_id))}">{video_id}</a>)' if video_id else ""
    return f"⚠️ Could not summarize this video{subject}.\n{escape(text)}"


def render_final(job: Job) -> list[str]:
    """The finished job as messages of at most `MAX_LENGTH`: the head first, then whole points."""
    if job.status is JobStatus.FAILED:
        return [render_error(job.error or SummaryError("internal_error"), job.video_id)]
    head = [f"📝 {video_label(job)}"]
    if job.tldr:
        head += ["", "<b>TL;DR</b>", _clip(job.tldr, MAX_LENGTH // 2)]
    if note := _note(job):
        head += ["", *note]
    head += ["", "<b>Key points</b>"]
    return pack(["\n".join(head), *(point_line(point) for point in job.points)])


def pack(blocks: list[str], limit: int = MAX_LENGTH) -> list[str]:
    """Join blocks with newlines into as few messages of at most `limit` units as the order allows.

    A block is never split; each must fit on its own.
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        if current and utf16_len(current) + 1 + utf16_len(block) > limit:
            messages.append(current)
            current = block
        else:
            current = f"{current}\n{block}" if current else block
    if current:
        messages.append(current)
    return messages
