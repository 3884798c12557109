"""The transcript providers of `TRANSCRIPT_PROVIDERS`, tried in order, each behind its own circuit breaker.

A provider that fails with a code of `PASSED_ON` (blocked, out of quota, down, slow) passes the video to the
next; any other failure ("no captions", "video unavailable") is a fact about the video and final. When every
provider passed it on, the job fails with the most telling of their errors: `blocked` when one was
blocked (its message says what the operator and the user can do), else the last one. Each attempt is
counted in `ytsum_transcript_fetches{provider, outcome}`. A transcript without a title gets YouTube's
oEmbed title and channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from core.config import Settings
from core.telemetry import TRANSCRIPT_FETCHES
from summarizer.circuit import CircuitBreaker
from summarizer.errors import SummaryError
from summarizer.models import Transcript
from summarizer.transcripts.oembed import title_and_channel
from summarizer.transcripts.source import PASSED_ON, TranscriptSource

log = logging.getLogger(__name__)

_NAMES = {
    "youtube": "YouTube",
    "supadata": "The transcript service (Supadata)",
    "folder": "The transcript folder",
}


class ProviderChain:
    """Transcripts from the first provider that has them; `breakers` by provider name (for /readyz)."""

    def __init__(
        self,
        providers: Sequence[TranscriptSource],
        breakers: Sequence[CircuitBreaker],
        oembed_url: str | None,
    ) -> None:
        if not providers:
            raise ValueError("no transcript provider")
        self.providers = list(providers)
        self.breakers = {p.name: b for p, b in zip(providers, breakers, strict=True)}
        self._oembed_url = oembed_url

    @classmethod
    def from_settings(cls, settings: Settings) -> ProviderChain:
        """`TRANSCRIPT_PROVIDERS` in order; `TRANSCRIPT_DIR` alone when set (offline: demos and tests)."""
        providers: list[TranscriptSource] = []
        if settings.transcript_dir:
            from summarizer.transcripts.folder import FolderSource

            providers.append(FolderSource(settings.transcript_dir))
        else:
            for name in settings.transcript_providers:
                providers.append(_provider(name, settings))
        breakers = [
            CircuitBreaker(
                settings.youtube_breaker_failures, settings.youtube_breaker_cooldown, name=_NAMES[p.name]
            )
            for p in providers
        ]
        oembed = None if settings.transcript_dir else settings.youtube_oembed_url
        return cls(providers, breakers, oembed)

    def fetch(self, video_id: str, languages: Sequence[str], translate_to: str | None = None) -> Transcript:
        """The first provider's transcript; raises the final (or most telling) `SummaryError`."""
        failures: list[SummaryError] = []
        for provider in self.providers:
            breaker = self.breakers[provider.name]
            try:
                breaker.check()
            except SummaryError as open_circuit:
                TRANSCRIPT_FETCHES.labels(provider.name, "skipped").inc()
                failures.append(open_circuit)
                continue
            try:
                transcript = provider.fetch(video_id, languages, translate_to)
            except SummaryError as error:
                breaker.record(error)
                TRANSCRIPT_FETCHES.labels(provider.name, error.code).inc()
                if error.code not in PASSED_ON:
                    raise
                log.info("transcript provider %s passed video %s on: %s", provider.name, video_id, error.code)
                failures.append(error)
                continue
            breaker.record(None)
            TRANSCRIPT_FETCHES.labels(provider.name, "ok").inc()
            return self._titled(transcript)
        raise next((f for f in failures if f.code == "blocked"), failures[-1])

    def _titled(self, transcript: Transcript) -> Transcript:
        if transcript.title is None and self._oembed_url:
            transcript.title, transcript.channel = self.details(transcript.video_id)
        return transcript

    def details(self, video_id: str) -> tuple[str | None, str | None]:
        """`(title, channel)` of a YouTube video from oEmbed; `(None, None)` when the lookup fails or the
        chain is offline (`TRANSCRIPT_DIR`). Blocking (one GET, at most 5 s): call it in a thread."""
        return title_and_channel(video_id, self._oembed_url) if self._oembed_url else (None, None)


def _provider(name: str, settings: Settings) -> TranscriptSource:
    """The provider `name` of `TRANSCRIPT_PROVIDERS` (the names are checked by `Settings`)."""
    # Imported here: only the configured providers' modules are loaded (the ack path loads none).
    if name == "supadata":
        from summarizer.transcripts.supadata import SupadataSource

        return SupadataSource.from_settings(settings)
    from summarizer.transcripts.youtube import YouTubeSource

    return YouTubeSource.from_settings(settings)
