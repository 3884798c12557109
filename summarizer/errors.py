"""The engine's one error type: a stable code for machines and a message for people."""

from __future__ import annotations

from typing import Any

# Stable error codes (the contract's list plus ours) and the text users see.
MESSAGES: dict[str, str] = {
    "invalid_url": (
        "That is not a YouTube video link. Send a link like https://www.youtube.com/watch?v=<id>, "
        "https://youtu.be/<id>, a /shorts/, /live/ or /embed/ link, or the 11-character video id."
    ),
    "no_transcript": "This video has no captions in a language we can use, so it cannot be summarized.",
    "transcripts_disabled": "The uploader turned captions off for this video, so it cannot be summarized.",
    "video_unavailable": "This video is private, deleted or otherwise unavailable.",
    "age_restricted": "This video is age-restricted; YouTube does not share its captions without a login.",
    "blocked": (
        "YouTube refused this server's requests (it blocks most cloud IPs). The operator can add a "
        "transcript provider (TRANSCRIPT_PROVIDERS), a worker at home (--lane residential) or a rotating "
        "residential proxy (WEBSHARE_PROXY_USERNAME/PASSWORD); see docs/free-tier.md. Please try again later."
    ),
    "provider_unavailable": (
        "The transcript service this server uses is unavailable or refused the request; please try again later."
    ),
    "po_token_required": "YouTube requires a proof-of-origin token for this video's captions; it cannot be fetched.",
    "youtube_error": "YouTube answered in a way we did not expect; please try again later.",
    "too_long": "This video is longer than this service accepts.",
    "timeout": "Getting this summary took too long; please try again later.",
    "busy": "The service is busy; please try again in a little while.",
    "rate_limited": "You already have several summaries in progress; wait for them to finish.",
    "invalid_transcript": "The transcript in the request is not valid.",
    "invalid_subtitles": "The subtitle file cannot be read: send an .srt, .vtt or .txt file in UTF-8.",
    "invalid_question": "The question is empty or too long.",
    "invalid_callback_url": "callback_url must be a public https URL.",
    "internal_error": "Something went wrong on our side while summarizing; please try again.",
    "interrupted": "The service restarted before this summary was done; please send the link again.",
}


class SummaryError(Exception):
    """A failure with a stable `code` (see `MESSAGES`) and a human `message`.

    `retry_after` (seconds) is set for `busy` and `rate_limited`.
    """

    def __init__(self, code: str, message: str | None = None, *, retry_after: int | None = None) -> None:
        self.code = code
        self.message = message or MESSAGES[code]
        self.retry_after = retry_after
        super().__init__(f"{code}: {self.message}")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled whole: an error raised in the CPU process (a subtitle file's problem) comes back as it
        was. Exception's own pickling rebuilds from `args`, the joined text, which `__init__` cannot take:
        unpickling raised KeyError and broke the process pool."""
        return type(self), (self.code, self.message), self.__dict__

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def check_duration(seconds: float, max_seconds: float) -> None:
    """Raise `too_long` for a video of `seconds` past `max_seconds` (`MAX_VIDEO_SECONDS`)."""
    if seconds > max_seconds:
        raise SummaryError(
            "too_long",
            f"This video is {seconds / 3600:.1f} h long; this service summarizes videos up to "
            f"{max_seconds / 3600:.1f} h.",
        )
