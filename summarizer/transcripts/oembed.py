"""A video's title and channel from YouTube's oEmbed endpoint (`YOUTUBE_OEMBED_URL`), for transcripts whose
provider gave none (Supadata). One small GET; any failure only means the job shows the video's id.

`GET https://www.youtube.com/oembed?url=<watch URL>&format=json` answers `{"title", "author_name", …}`, also
to hosts whose transcript requests YouTube blocks.
"""

from __future__ import annotations

import logging

from summarizer.links import watch_url
from summarizer.transcripts.session import timeout_session

log = logging.getLogger(__name__)

TIMEOUT = 5.0  # seconds: a title is not worth waiting long for


def title_and_channel(video_id: str, oembed_url: str) -> tuple[str | None, str | None]:
    """`(title, channel)` of a YouTube video, `(None, None)` when the lookup fails."""
    import requests

    params = {"url": watch_url(video_id), "format": "json"}
    try:
        with timeout_session(TIMEOUT, "youtube") as session:
            response = session.get(oembed_url, params=params)
            body = response.json() if response.ok else None
    except (requests.RequestException, ValueError) as error:
        log.info("no title for video %s from oEmbed: %s", video_id, error)
        return None, None
    if not isinstance(body, dict):
        return None, None
    title, author = body.get("title"), body.get("author_name")
    return (
        title if isinstance(title, str) and title else None,
        author if isinstance(author, str) and author else None,
    )
