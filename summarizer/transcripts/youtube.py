"""Captions from YouTube itself, through youtube-transcript-api: direct, or through the configured proxy.

- The track: the first of the preferred languages YouTube has, else (when the reader asked for a language)
  YouTube's own translation of a track into it, else any manual track, else any generated one.
- Title and channel come from the player answer the library downloads anyway (`videoDetails`): no extra
  request.
- Every failure becomes a `SummaryError` with a stable code (`to_summary_error`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.telemetry import YOUTUBE_ERRORS
from summarizer.errors import MESSAGES, SummaryError
from summarizer.models import Snippet, Transcript
from summarizer.transcripts.session import timeout_session
from summarizer.transcripts.source import check_video_id

if TYPE_CHECKING:
    import requests
    from youtube_transcript_api import Transcript as Track
    from youtube_transcript_api import TranscriptList
    from youtube_transcript_api.proxies import ProxyConfig

    from core.config import Settings

_PROXY_BLOCKED = (
    "YouTube blocked the configured proxy too (static and datacenter proxies get blocked). The operator "
    "should use rotating residential proxies (Webshare 'Residential', WEBSHARE_PROXY_USERNAME/PASSWORD); "
    "please try again later."
)
_PLAYER = "/youtubei/v1/player"


class YouTubeSource:
    """Captions from YouTube, with a request timeout and optional (Webshare or generic) proxies."""

    name = "youtube"

    def __init__(
        self,
        timeout: float,
        proxy_http_url: str | None = None,
        proxy_https_url: str | None = None,
        webshare_username: str | None = None,
        webshare_password: str | None = None,
        webshare_locations: Sequence[str] = (),
    ) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        if bool(webshare_username) != bool(webshare_password):
            raise ValueError("WEBSHARE_PROXY_USERNAME and WEBSHARE_PROXY_PASSWORD must be set together")
        self.timeout = timeout
        self._proxy_urls = (proxy_http_url or None, proxy_https_url or None)
        self._webshare = (
            (webshare_username, webshare_password) if webshare_username and webshare_password else None
        )
        self._locations = list(webshare_locations)
        self.proxied = self._webshare is not None or any(self._proxy_urls)  # changes the `blocked` advice

    @classmethod
    def from_settings(cls, settings: Settings) -> YouTubeSource:
        """Build from the service settings (`YOUTUBE_TIMEOUT`, `YOUTUBE_PROXY_*`, `WEBSHARE_PROXY_*`)."""
        return cls(
            settings.youtube_timeout,
            settings.youtube_proxy_http_url,
            settings.youtube_proxy_https_url,
            settings.webshare_proxy_username,
            settings.webshare_proxy_password,
            settings.webshare_proxy_locations,
        )

    def proxy_config(self) -> ProxyConfig | None:
        """The library's proxy config: Webshare when configured, else the generic URLs, else None."""
        from youtube_transcript_api.proxies import GenericProxyConfig, WebshareProxyConfig

        if self._webshare is not None:
            username, password = self._webshare
            return WebshareProxyConfig(username, password, filter_ip_locations=self._locations or None)
        if any(self._proxy_urls):
            return GenericProxyConfig(*self._proxy_urls)
        return None

    def fetch(self, video_id: str, languages: Sequence[str], translate_to: str | None = None) -> Transcript:
        """The captions of `video_id` (the module docstring says which track). Raises only `SummaryError`."""
        check_video_id(video_id)
        try:
            return self._fetch(video_id, languages, translate_to)
        except SummaryError as error:
            YOUTUBE_ERRORS.labels(error.code).inc()
            raise
        except Exception as exc:
            failure = to_summary_error(exc, proxied=self.proxied)
            YOUTUBE_ERRORS.labels(failure.code).inc()
            raise failure from exc

    def _fetch(self, video_id: str, languages: Sequence[str], translate_to: str | None) -> Transcript:
        from youtube_transcript_api import YouTubeTranscriptApi

        details: dict[str, Any] = {}
        with timeout_session(self.timeout) as session:
            session.on_response = lambda response: details.update(_video_details(response))  # type: ignore[attr-defined]
            # One API object per call: it holds a Session and is not thread-safe.
            api = YouTubeTranscriptApi(proxy_config=self.proxy_config(), http_client=session)
            track, translated_from = _choose(api.list(video_id), languages, translate_to)
            fetched = track.fetch()
        snippets = [Snippet(s.text, s.start, s.duration) for s in fetched.snippets if s.text.strip()]
        if not snippets:
            raise SummaryError("no_transcript", "The captions of this video are empty.")
        title, author = details.get("title"), details.get("author")
        return Transcript(
            video_id,
            fetched.language_code,
            fetched.is_generated,
            snippets,
            title if isinstance(title, str) and title else None,
            author if isinstance(author, str) and author else None,
            provider=self.name,
            translated_from=translated_from,
        )


def _choose(
    tracks: TranscriptList, languages: Sequence[str], translate_to: str | None
) -> tuple[Track, str | None]:
    """The track to fetch, and the language it was translated from (None: not translated)."""
    from youtube_transcript_api import NoTranscriptFound

    if translate_to:
        try:
            return tracks.find_transcript([translate_to]), None
        except NoTranscriptFound:
            pass
        # YouTube's own translation of the best track it can translate (the preferred languages first).
        order = {code: i for i, code in enumerate(languages)}
        translatable = [
            t
            for t in tracks
            if t.is_translatable and translate_to in {lang.language_code for lang in t.translation_languages}
        ]
        if translatable:
            source = min(translatable, key=lambda t: (order.get(t.language_code, len(order)), t.is_generated))
            return source.translate(translate_to), source.language_code
    try:
        return tracks.find_transcript(languages), None
    except NoTranscriptFound:
        # min() keeps the first of equals: the first manual track, else the first generated one.
        fallback = min(tracks, key=lambda t: t.is_generated, default=None)
        if fallback is None:
            raise
        return fallback, None


def _video_details(response: requests.Response) -> dict[str, Any]:
    """`videoDetails` (title, author, …) of a player answer, or nothing for any other response."""
    if _PLAYER not in response.url or not response.ok:
        return {}
    try:
        details = response.json().get("videoDetails")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def to_summary_error(exc: Exception, *, proxied: bool = False) -> SummaryError:
    """Map an exception raised while fetching from YouTube to a `SummaryError` with a stable code.

    `proxied` (a proxy was in use) changes the advice given for `blocked`.
    """
    import requests
    import youtube_transcript_api as yta

    if isinstance(exc, SummaryError):
        return exc
    if isinstance(exc, yta.VideoUnplayable) and exc.reason:
        return SummaryError(
            "video_unavailable", f"{MESSAGES['video_unavailable']} YouTube says: {exc.reason}"
        )
    http = requests.exceptions
    no_track = (yta.NoTranscriptFound, yta.NotTranslatable, yta.TranslationLanguageNotAvailable)
    table: list[tuple[type[Exception] | tuple[type[Exception], ...], str, str | None]] = [
        (no_track, "no_transcript", None),
        (yta.TranscriptsDisabled, "transcripts_disabled", None),
        ((yta.VideoUnavailable, yta.InvalidVideoId, yta.VideoUnplayable), "video_unavailable", None),
        (yta.AgeRestricted, "age_restricted", None),
        # RetryError: the urllib3 Retry the library mounts when proxied (on HTTP 429) gave up.
        ((yta.RequestBlocked, http.RetryError), "blocked", _PROXY_BLOCKED if proxied else None),
        (yta.PoTokenRequired, "po_token_required", None),
        (http.Timeout, "timeout", "YouTube did not answer in time; please try again later."),
        (http.ProxyError, "youtube_error", "Could not reach the configured proxy; please try again later."),
        (http.ConnectionError, "youtube_error", "Could not connect to YouTube; please try again later."),
        # Any other library or HTTP failure, and answers of an unexpected shape (JSON, XML, fields).
        ((yta.YouTubeTranscriptApiException, http.RequestException), "youtube_error", None),
        ((ValueError, LookupError, TypeError, SyntaxError), "youtube_error", None),  # XML ParseError: Syntax
    ]
    for kinds, code, message in table:
        if isinstance(exc, kinds):
            return SummaryError(code, message)
    return SummaryError("internal_error")
