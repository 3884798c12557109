"""Jobs as Discord message payloads, within Discord's size limits (pure functions).

A finished summary is one embed: title and link of the video, the TL;DR, then one line per key point,
`[12:34](https://youtu.be/<id>?t=754) text`. What does not fit in one message goes into follow-ups,
always between two points. Every payload carries `allowed_mentions: {"parse": []}`, so nothing a
video says can ping anyone.
"""

from __future__ import annotations

import re
import time
from typing import Any

from bot.fallback import fallback_note
from core.formats import clock
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.links import watch_url
from summarizer.models import Point

# Discord's limits (docs: resources/message "Embed Limits", webhook "Execute Webhook").
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000

EPHEMERAL = 64
NO_MENTIONS: dict[str, list[str]] = {"parse": []}
YOUTUBE_RED = 0xFF0000
NAME_MAX = 200  # a video title in the progress line
TLDR_MAX = 1500  # safety net: the TL;DR is three of those sentences
POINT_TEXT_MAX = 900  # safety net: key points are sentences of at most 40 words, far below this
PROGRESS_NOTE_ROOM = 60  # kept free in a progress embed for "… and N more so far"

Message = dict[str, Any]

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
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + "…"


def point_line(point: Point) -> str:
    """One key point: a link to its moment, then its text."""
    return f"[{clock(point.start)}]({point.url}) {escape(shorten(point.text, POINT_TEXT_MAX))}"


def video_name(job: Job) -> str:
    return job.title or job.video_id


def _embed(job: Job, description: str, footer: str | None = None) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": shorten(video_name(job), TITLE_MAX),
        "url": watch_url(job.video_id),
        "description": description,
        "color": YOUTUBE_RED,
    }
    if footer:
        embed["footer"] = {"text": shorten(footer, FOOTER_MAX)}
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


def failure_text(error: SummaryError, now: float | None = None) -> str:
    """What a user reads when a summary cannot be made, per error code."""
    texts = {
        "invalid_url": "That doesn't look like a YouTube video link. Try `/summarize url:https://youtu.be/<id>` "
        "with a video link or its 11-character id.",
        "no_transcript": "This video has no captions I can use, so I can't summarize it.",
        "transcripts_disabled": "Captions are turned off for this video, so I can't summarize it.",
        "video_unavailable": "This video is private, deleted or otherwise unavailable.",
        "age_restricted": "This video is age-restricted; YouTube doesn't share its captions without a login.",
        "blocked": "YouTube is refusing this server's requests right now. Please try again later.",
        "timeout": "Summarizing this video took too long. Please try again in a few minutes.",
        "busy": f"I'm busy with other summaries right now. Please try again {retry_hint(error.retry_after, now)}.",
        "rate_limited": "You already have several summaries in progress. Try again when they are done "
        f"({retry_hint(error.retry_after, now)}).",
        "internal_error": "Something went wrong on my side. Please try again.",
    }
    return texts.get(error.code, error.message)


def failure_message(job: Job) -> Message:
    error = job.error or SummaryError("internal_error")
    return message(f"Couldn't summarize <{watch_url(job.video_id)}>: {failure_text(error)}")


def _fit_lines(lines: list[str], room: int) -> int:
    """How many of `lines` fit, joined by newlines, into `room` characters."""
    used, count = 0, 0
    for line in lines:
        used += len(line) + (1 if count else 0)
        if used > room:
            break
        count += 1
    return count


def progress_message(job: Job) -> Message:
    """The message while the job runs: a status line (and the fallback note), and the key points so far
    in an embed, those of the chunk a model is writing last."""
    name = escape(shorten(video_name(job), NAME_MAX))
    if job.status is JobStatus.QUEUED:
        content = f"Queued: {name}… waiting for the summaries ahead of it."
    elif job.total is None:
        content = f"Working on {name}… fetching the captions."
    else:
        content = f"Working on {name}… {len(job.chunks)}/{job.total} parts"
    if note := fallback_note(job):
        content += f"\n*{escape(note)}*"
    points = job.points + (job.partial.points if job.partial else [])
    lines = [point_line(p) for p in points]
    if not lines:
        return message(content)
    shown = _fit_lines(lines, DESCRIPTION_MAX - PROGRESS_NOTE_ROOM)
    description = "\n".join(lines[:shown])
    if shown < len(lines):
        description += f"\n… and {len(lines) - shown} more so far"
    return message(content, [_embed(job, description)])


def summary_messages(job: Job) -> list[Message]:
    """A finished job as messages: the first for the original response, the rest as follow-ups."""
    if job.status is not JobStatus.DONE:
        return [failure_message(job)]
    # Escaping at most doubles the text: a TL;DR of 1500 characters stays well inside one description.
    head = f"**TL;DR** {escape(shorten(job.tldr, TLDR_MAX))}" if job.tldr else ""
    if note := fallback_note(job):
        head = (head + "\n\n" if head else "") + f"*{escape(note)}*"
    lines = [point_line(p) for p in job.points]
    if lines:
        head = (head + "\n\n" if head else "") + "**Key points**"
    pages = [[head or "No key points were found in this video's captions."]]
    used = len(pages[0][0])
    for line in lines:
        if used + 1 + len(line) > DESCRIPTION_MAX:
            pages.append([])
            used = -1  # no newline before the first line of a page
        pages[-1].append(line)
        used += 1 + len(line)
    if len(pages) == 1:
        return [message(embeds=[_embed(job, "\n".join(pages[0]))])]
    total = len(pages)
    return [
        message(embeds=[_embed(job, "\n".join(page), f"Part {n} of {total}")])
        for n, page in enumerate(pages, 1)
    ]
