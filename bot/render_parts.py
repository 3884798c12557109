"""What both chat renderings (bot/telegram_render.py, bot/discord_render.py) show the same way: the video's
name, a chapter's title and time range, and text length as both platforms count it."""

from __future__ import annotations

from core.formats import clock
from summarizer.jobs import Job
from summarizer.models import ChunkSummary


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (characters beyond U+FFFF count twice), as Telegram and Discord count."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def video_name(job: Job) -> str:
    """The title, or the one the inline transcript (a subtitle file's name) brings before the job starts,
    or the video id."""
    return job.title or (job.transcript.title if job.transcript else None) or job.video_id


def time_range(chunk: ChunkSummary) -> str:
    """`4:47` and `9:28` joined by an en dash: where a chapter starts and ends."""
    return f"{clock(chunk.start)}\u2013{clock(chunk.end)}"


def chapter_title(chunk: ChunkSummary) -> str:
    """The chunk's title, or "Part n" when nothing stood out."""
    return (chunk.title or "").strip() or f"Part {chunk.index + 1}"
