"""Jobs as Discord message payloads, within Discord's size limits (pure functions).

A finished summary reads as a table of contents: an embed titled and linked like the video, its topics and
the TL;DR (one line per point, `[12:34](https://youtu.be/<id>?t=754) text`) in the description, then one
field per chapter (chunk title and time range; its key points as such lines). What does not fit in one
message goes into follow-ups, always between two chapters. Every payload carries
`allowed_mentions: {"parse": []}`, so nothing a video says can ping anyone.
"""

from __future__ import annotations

import re
import time
from typing import Any

from bot.fallback import fallback_note
from bot.render_parts import chapter_title, time_range, utf16_len, video_name
from core.formats import clock
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.links import watch_url
from summarizer.models import ChunkSummary, Point, moment_url
from summarizer.subtitles import is_file_video, links_nowhere

# Discord's limits (docs: resources/message "Embed Limits", webhook "Execute Webhook"). Counted here in
# UTF-16 units (`size`), never fewer than the characters Discord counts.
CONTENT_MAX = 2000
TITLE_MAX = 256
AUTHOR_MAX = 256  # an embed's author name: the video's channel
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25  # per embed
EMBED_TOTAL_MAX = 6000  # all embeds of a message together: titles, descriptions, fields, footers
EMBEDS_MAX = 10  # per message

EPHEMERAL = 64
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
YOUTUBE_RED = 0xFF0000
NAME_MAX = 200  # a video title in the progress line
TLDR_MAX = 1500  # safety net: a TL;DR cached before it had points, as one paragraph
TLDR_LINE_MAX = (
    640  # one TL;DR line: five of them (2-5, the contract), the topics and the note fit one description
)
TOPICS_MAX = 350  # the topics line
CHAPTER_LINE_MAX = 200  # a chapter's line in the progress message
PROGRESS_NOTE_ROOM = 60  # kept free in a progress embed for "… and N more so far"
FOOTER_ROOM = len("Part 999 of 999")  # kept free in every message of a summary for its footer

Message = dict[str, Any]
Field = dict[str, Any]

_SPACES = re.compile(r"\s+")
# Backslash-escaping any ASCII punctuation is safe in Discord markdown; these are the characters that
# format text, open or close a masked link, or start a mention/timestamp tag. Video text never starts a
# line here (it follows a link or a label), so line-start markers (`-`, `>`, `#`) need no more care.
_MARKDOWN = re.compile(r"([\\*_~`|\[\]()<>#])")


def escape(text: str) -> str:
    """Video-derived text as inert markdown on one line (no formatting, links or mentions)."""
    return _MARKDOWN.sub(r"\\\1", _SPACES.sub(" ", text).strip())


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut."""
    if utf16_len(text) <= limit:
        return text
    cut = text[: limit - 1]
    while utf16_len(cut) > limit - 1:  # characters beyond U+FFFF count twice
        cut = cut[:-1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def inert(text: str, room: int) -> str:
    """`text` escaped (`escape`), shortened first so that the escaped form is at most `room` long."""
    limit = room
    escaped = escape(shorten(text, limit))
    while utf16_len(escaped) > room and limit > 1:
        limit -= max(1, utf16_len(escaped) - room)
        escaped = escape(shorten(text, max(1, limit)))
    return escaped


def point_line(point: Point, room: int = FIELD_VALUE_MAX) -> str:
    """One key point: a link to its moment, then its text; at most `room` long."""
    link = f"{clock(point.start)} " if links_nowhere(point.url) else f"[{clock(point.start)}]({point.url}) "
    return link + inert(point.text, room - utf16_len(link))


def video_line(job: Job) -> str:
    """`Title — Channel` (the channel when known), inert, for a line of text."""
    channel = f" \u2014 {shorten(job.channel, NAME_MAX // 2)}" if job.channel else ""
    return escape(shorten(video_name(job), NAME_MAX) + channel)


def topics_line(job: Job) -> list[str]:
    """The video's key phrases as an italic line, or nothing."""
    topics = inert(" · ".join(job.topics), TOPICS_MAX)
    return [f"*{topics}*"] if topics else []


def chapter_name(chunk: ChunkSummary, continued: bool = False) -> str:
    """A chapter's field name: `title (time range)` (a field name cannot hold a link)."""
    span = f" ({time_range(chunk)}{', continued' if continued else ''})"
    return inert(chapter_title(chunk), FIELD_NAME_MAX - utf16_len(span)) + span


def chapter_line(job: Job, chunk: ChunkSummary) -> str:
    """A chapter in the progress message: its time range linked to its start, then its title."""
    url = moment_url(job.video_id, chunk.start)
    span = f"{time_range(chunk)} " if links_nowhere(url) else f"[{time_range(chunk)}]({url}) "
    return span + inert(chapter_title(chunk), CHAPTER_LINE_MAX)


def _embed(job: Job, description: str | None = None) -> dict[str, Any]:
    embed: dict[str, Any] = {"title": shorten(video_name(job), TITLE_MAX), "color": YOUTUBE_RED}
    if not is_file_video(job.video_id):  # a subtitle file sent without a video links nowhere
        embed["url"] = watch_url(job.video_id)
    if job.channel:  # shown above the title
        embed["author"] = {"name": shorten(job.channel, AUTHOR_MAX)}
    if description:
        embed["description"] = description
    return embed


def message(content: str = "", embeds: list[dict[str, Any]] | None = None) -> Message:
    """A message payload (the same shape for a callback's `data`, an edit and a follow-up)."""
    return {"content": shorten(content, CONTENT_MAX), "embeds": embeds or [], "allowed_mentions": NO_MENTIONS}


def ephemeral(text: str) -> Message:
    """An interaction response only the invoking user sees."""
    return {"type": 4, "data": {**message(text), "flags": EPHEMERAL}}


def retry_hint(retry_after: int | None, now: float | None = None) -> str:
    """When to try again, as a Discord timestamp each user sees in their own words ("in 2 minutes")."""
    if not retry_after:
        return "in a little while"
    return f"<t:{int((now or time.time()) + retry_after)}:R>"


# What a user can do when YouTube will not hand the captions to this server.
SEND_FILE = (
    "You can run `/summarize` again with the video's subtitle file (.srt or .vtt, e.g. from "
    "`yt-dlp --write-subs --write-auto-subs`) in `file` and its link in `url`, and I'll summarize that."
)


def failure_text(error: SummaryError, now: float | None = None) -> str:
    """What a user reads when a summary cannot be made, per error code."""
    texts = {
        "invalid_url": "That doesn't look like a YouTube video link. Try `/summarize url:https://youtu.be/<id>` "
        "with a video link or its 11-character id.",
        "no_transcript": "This video has no captions I can use, so I can't summarize it.",
        "transcripts_disabled": "Captions are turned off for this video, so I can't summarize it.",
        "video_unavailable": "This video is private, deleted or otherwise unavailable.",
        "age_restricted": "This video is age-restricted; YouTube doesn't share its captions without a login. "
        + SEND_FILE,
        "blocked": "YouTube is refusing this server's requests right now. Please try again later. "
        + SEND_FILE,
        "po_token_required": "YouTube doesn't hand out this video's captions to bots. " + SEND_FILE,
        "provider_unavailable": "The service I get captions from isn't answering right now. Please try again "
        "later. " + SEND_FILE,
        "timeout": "Summarizing this video took too long. Please try again in a few minutes.",
        "busy": f"I'm busy with other summaries right now. Please try again {retry_hint(error.retry_after, now)}.",
        "rate_limited": "You already have several summaries in progress. Try again when they are done "
        f"({retry_hint(error.retry_after, now)}).",
        "internal_error": "Something went wrong on my side. Please try again.",
        "interrupted": "The service restarted before I could finish. Please run the command again.",
    }
    return texts.get(error.code, error.message)


def failure_message(job: Job) -> Message:
    error = job.error or SummaryError("internal_error")
    if is_file_video(job.video_id):  # a subtitle file sent without a video
        return message(f"Couldn't summarize {video_line(job)}: {failure_text(error)}")
    return message(f"Couldn't summarize <{watch_url(job.video_id)}>: {failure_text(error)}")


def _fit_lines(lines: list[str], room: int) -> int:
    """How many of `lines` fit, joined by newlines, into `room` characters."""
    used, count = 0, 0
    for line in lines:
        used += utf16_len(line) + (1 if count else 0)
        if used > room:
            break
        count += 1
    return count


def progress_message(job: Job) -> Message:
    """The message while the job runs: a status line (and the fallback note), then the topics once known
    and a line per chapter done so far (and the one a model is writing) in an embed."""
    name = video_line(job)
    if job.status is JobStatus.QUEUED:
        content = f"Queued: {name}… waiting for the summaries ahead of it."
    elif job.total is None:
        content = f"Working on {name}… fetching the captions."
    else:
        content = f"Working on {name}… {len(job.chunks)}/{job.total} parts"
    if note := fallback_note(job):
        content += f"\n*{escape(note)}*"
    lines = [chapter_line(job, chunk) for chunk in job.chunks]
    if job.partial:
        lines.append(f"{chapter_line(job, job.partial)} *writing…*")
    head = topics_line(job)
    if not lines and not head:
        return message(content)
    room = DESCRIPTION_MAX - PROGRESS_NOTE_ROOM - sum(utf16_len(line) + 2 for line in head)
    shown = _fit_lines(lines, room)
    body = lines[:shown] + ([f"… and {len(lines) - shown} more so far"] if shown < len(lines) else [])
    description = "\n\n".join(part for part in ("\n".join(head), "\n".join(body)) if part)
    return message(content, [_embed(job, description)])


def head_description(job: Job) -> str:
    """The topics, the TL;DR (a line per point) and the fallback note."""
    parts = ["\n".join(topics_line(job))]
    if job.tldr_points:
        parts.append("\n".join(["**TL;DR**", *(point_line(p, TLDR_LINE_MAX) for p in job.tldr_points)]))
    elif job.tldr:  # summaries cached before the TL;DR had points; escaping at most doubles it
        parts.append(f"**TL;DR** {escape(shorten(job.tldr, TLDR_MAX))}")
    if note := fallback_note(job):
        parts.append(f"*{escape(note)}*")
    if not any(chunk.points for chunk in job.chunks):
        parts.append("No key points were found in this video's captions.")
    return "\n\n".join(part for part in parts if part)


def chapter_fields(chunk: ChunkSummary) -> list[Field]:
    """A chapter as embed fields: one, named by its title and time range, with a line per key point; a
    chapter whose points pass a field value's 1024 characters goes on in fields marked "continued"."""
    fields: list[Field] = []
    lines: list[str] = []
    for line in (point_line(p) for p in chunk.points):
        if lines and utf16_len("\n".join([*lines, line])) > FIELD_VALUE_MAX:
            fields.append({"name": chapter_name(chunk, bool(fields)), "value": "\n".join(lines)})
            lines = []
        lines.append(line)
    value = "\n".join(lines) or "No key points."
    fields.append({"name": chapter_name(chunk, bool(fields)), "value": value})
    return fields


def _field_size(field: Field) -> int:
    return utf16_len(field["name"]) + utf16_len(field["value"])


def embeds_size(message: Message) -> int:
    """What Discord holds to `EMBED_TOTAL_MAX`: every title, description, field, footer and author name of
    the message's embeds together."""
    total = 0
    for embed in message.get("embeds", []):
        total += utf16_len(embed.get("title", "")) + utf16_len(embed.get("description", ""))
        total += sum(map(_field_size, embed.get("fields", [])))
        total += utf16_len(embed.get("footer", {}).get("text", "")) + utf16_len(
            embed.get("author", {}).get("name", "")
        )
    return total


class _Pages:
    """Messages being filled with fields, within Discord's limits for a message."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.messages: list[list[dict[str, Any]]] = []  # each message's embeds
        self.used = 0
        self.fields = 0

    def new(self, first: dict[str, Any]) -> None:
        self.messages.append([first])
        self.used = utf16_len(first["title"]) + utf16_len(first.get("description", "")) + FOOTER_ROOM
        self.used += utf16_len(first.get("author", {}).get("name", ""))
        self.fields = 0

    def room(self) -> tuple[int, int]:
        """Characters and fields the current message can still take."""
        return EMBED_TOTAL_MAX - self.used, FIELDS_MAX * EMBEDS_MAX - self.fields

    def add(self, field: Field) -> None:
        chars, fields = self.room()
        if _field_size(field) > chars or not fields:
            self.new(_embed(self.job))
        embeds = self.messages[-1]
        if len(embeds[-1].setdefault("fields", [])) == FIELDS_MAX:
            embeds.append({"color": YOUTUBE_RED, "fields": []})
        embeds[-1]["fields"].append(field)
        self.used += _field_size(field)
        self.fields += 1


def summary_messages(job: Job, page: str | None = None) -> list[Message]:
    """A finished job as messages: the first for the original response, the rest as follow-ups.

    Chapters are never split between messages unless one alone is more than a message holds. A summary
    that takes more than one message links to `page`, the summary's page (`PUBLIC_URL/s/<id>`), when there
    is one."""
    if job.status is not JobStatus.DONE:
        return [failure_message(job)]
    pages = _Pages(job)
    pages.new(_embed(job, shorten(head_description(job), DESCRIPTION_MAX)))
    for fields in (chapter_fields(chunk) for chunk in job.chunks):
        chars, count = pages.room()
        if sum(map(_field_size, fields)) > chars or len(fields) > count:
            pages.new(_embed(job))  # a chapter starts the next message rather than being split
        for field in fields:
            pages.add(field)
    if len(pages.messages) > 1:
        total = len(pages.messages)
        for n, embeds in enumerate(pages.messages, 1):
            embeds[-1]["footer"] = {"text": f"Part {n} of {total}"}
    link = f"The whole summary on one page: <{page}>" if page and len(pages.messages) > 1 else ""
    return [message(link if n == 0 else "", embeds) for n, embeds in enumerate(pages.messages)]
