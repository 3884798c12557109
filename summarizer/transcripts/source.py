"""What a transcript provider is, and which of its failures pass a video on to the next one."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from summarizer.errors import SummaryError
from summarizer.models import Transcript

VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
# Failures about this provider's luck (blocked, out of quota, down, slow), not about the video: the next
# provider may well succeed. Anything else ("no captions", "video unavailable") is a fact about the video.
PASSED_ON = frozenset(
    {"blocked", "provider_unavailable", "youtube_error", "timeout", "po_token_required", "age_restricted"}
)


class TranscriptSource(Protocol):
    """Turns a video id into a transcript; blocking (the engine runs it in a thread).

    `languages`: the preferred caption languages, best first. `translate_to`: the language the reader
    asked for, when they did; a provider that can translate captions may do so when it has no track in it.
    Raises only `SummaryError`.
    """

    name: str

    def fetch(
        self, video_id: str, languages: Sequence[str], translate_to: str | None = None
    ) -> Transcript: ...


def check_video_id(video_id: str) -> None:
    if not isinstance(video_id, str) or not VIDEO_ID.fullmatch(video_id):
        raise SummaryError("invalid_url")
