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
# and the required `/` after the host stops `youtube.com.evil.com`. Ids stay case-sensitive. Each attempt
# of this pattern reads a bounded stretch (no repetition), so finding every link start is linear.
_LINK = re.compile(
    r"(?<![\w.@/-])(?i:https?://)?"
    r"(?:"
    r"(?i:(?:(?:www|m|music)\.)?youtube\.com|(?:www\.)?youtube-nocookie\.com)"
    r"(?:"
    r"/watch/?\?(?P<query>)"  # the id is in the query: see `_watch_id`
    # /embed/videoseries and /embed/live_stream are 11 characters but not videos
    r"|/(?:shorts|live|embed|v|e)/(?!(?:videoseries|live_stream)(?![A-Za-z0-9_-]))(?P<path>" + _ID + r")"
    r")"
    r"|(?i:youtu\.be)/(?P<short>" + _ID + r")"
    r")"
)
# A watch link's id: `v=ID` first in its query or after an `&`, before the query ends (space or `#`).
_V_FIRST = re.compile(r"v=(?P<id>" + _ID + r")")
_V_AFTER = re.compile(r"&v=(?P<id>" + _ID + r")")
_QUERY_END = re.compile(r"[\s#]")


def _ids(text: str) -> Iterator[tuple[str, int, int]]:
    """Yield `(id, start, end)` of each link in `text`, in order (duplicates included), in linear time.

    One pattern scanning each watch link's query to its end cost O(links x length): 0.78 s of CPU for
    64 KB of repeated `www.youtube.com/watch?v=` (37 s for 480 KB, which blocked the event loop). Here each
    search resumes where the last one ended, so the text is read a bounded number of times: 2.6 ms for the
    64 KB, 22 ms for the 480 KB (`.venv/bin/python benchmarks/bad_input.py`).
    """
    end = 0  # the end of the last link: a link inside another is not one
    query_end: int | None = None  # the first space or `#` at or after the last query's start
    after: re.Match[str] | None = None  # the first `&v=ID` at or after the last searched query's start
    searched = False  # (once none is found, none is further on either)
    for match in _LINK.finditer(text):
        if match.start() < end:
            continue
        if match.group("query") is None:
            end = match.end()
            yield match.group("path") or match.group("short"), match.start(), end
            continue
        query = match.end()
        if query_end is None or query_end < query:
            found = _QUERY_END.search(text, query)
            query_end = found.start() if found else len(text)
        if not searched or (after is not None and after.start() < query):
            after, searched = _V_AFTER.search(text, query), True
        video = _V_FIRST.match(text, query, query_end) or (
            after if after and after.end() <= query_end else None
        )
        if video is not None:
            end = video.end()
            yield video.group("id"), match.start(), end


def parse_video_id(text: str) -> str:
    """Return the video id of the first YouTube video link in `text`, or of a bare 11-character id.

    Raises `SummaryError("invalid_url")` for anything else.
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        raise SummaryError("invalid_url")
    text = text.strip()
    if _BARE_ID.fullmatch(text):
        return text
    for video_id, _, _ in _ids(text):
        return video_id
    raise SummaryError("invalid_url")


def find_video_ids(text: str, limit: int | None = None) -> list[str]:
    """Return the ids of every YouTube video link in `text`, in order, without duplicates.

    Bare 11-character words are not taken (they are usually just words). `limit` caps the count.
    """
    found: list[str] = []
    if limit is not None and limit <= 0:
        return found
    for video_id, _, _ in _ids(text):
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
