"""Find YouTube video ids in what users paste: links of every common shape, or a bare id.

Stdlib only and precompiled, since this runs on the webhook ack path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from summarizer.errors import SummaryError

__all__ = ["MAX_INPUT_CHARS", "find_video_ids", "parse_video_id", "watch_url"]

# Longest text `parse_video_id` looks at; anything longer is not a pasted link.
MAX_INPUT_CHARS = 2048

_ID = r"[A-Za-z0-9_-]{11}(?![A-Za-z0-9_-])"  # exactly 11 id characters
_BARE_ID = re.compile(r"[A-Za-z0-9_-]{11}")

# Only the real hosts, any case; the lookbehind stops `notyoutube.com`, `evil.youtube.com`, `a/youtube.com`,
# and the required `/` after the host stops `youtube.com.evil.com`. Ids stay case-sensitive.
_LINK = re.compile(
    r"(?<![\w.@/-])(?i:https?://)?"
    r"(?:"
    r"(?i:(?:(?:www|m|music)\.)?youtube\.com|(?:www\.)?youtube-nocookie\.com)"
    r"(?:"
    # /watch?v=ID with v anywhere in the query (possessive, so no backtracking blow-up)
    r"/watch/?\?(?:[^\s#&]*+&)*?v=(?P<watch>" + _ID + r")"
    # /embed/videoseries and /embed/live_stream are 11 characters but not videos
    r"|/(?:shorts|live|embed|v|e)/(?!(?:videoseries|live_stream)(?![A-Za-z0-9_-]))(?P<path>" + _ID + r")"
    r")"
    r"|(?i:youtu\.be)/(?P<short>" + _ID + r")"
    r")"
)


def _ids(text: str) -> Iterator[str]:
    """Yield the video id of each link in `text`, in order (duplicates included)."""
    for match in _LINK.finditer(text):
        yield match.group("watch") or match.group("path") or match.group("short")


def parse_video_id(text: str) -> str:
    """Return the video id of the first YouTube video link in `text`, or of a bare 11-character id.

    Raises `SummaryError("invalid_url")` for anything else.
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        raise SummaryError("invalid_url")
    text = text.strip()
    if _BARE_ID.fullmatch(text):
        return text
    for video_id in _ids(text):
        return video_id
    raise SummaryError("invalid_url")


def find_video_ids(text: str, limit: int | None = None) -> list[str]:
    """Return the ids of every YouTube video link in `text`, in order, without duplicates.

    Bare 11-character words are not taken (they are usually just words). `limit` caps the count.
    """
    found: list[str] = []
    if limit is not None and limit <= 0:
        return found
    for video_id in _ids(text):
        if video_id not in found:
            found.append(video_id)
            if limit is not None and len(found) >= limit:
                break
    return found


def watch_url(video_id: str) -> str:
    """Return the canonical watch link for `video_id`."""
    return f"https://www.youtube.com/watch?v={video_id}"


def page_url(public_url: str | None, job_id: str) -> str | None:
    """The address of a summary's own page (`/s/<id>`, api/pages.py), when the service has a public one
    (`PUBLIC_URL`); chat messages of a long summary link to it."""
    return f"{public_url.rstrip('/')}/s/{job_id}" if public_url else None
