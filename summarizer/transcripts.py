"""Where transcripts come from: YouTube (through youtube-transcript-api) or a folder of JSON files."""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.telemetry import OUTBOUND, OUTBOUND_ERRORS, OUTBOUND_RATE_LIMITED, YOUTUBE_ERRORS
from summarizer.errors import MESSAGES, SummaryError
from summarizer.models import Snippet, Transcript

if TYPE_CHECKING:
    import requests
    from youtube_transcript_api.proxies import ProxyConfig

    from core.config import Settings

_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_PROXY_BLOCKED = (
    "YouTube blocked the configured proxy too (static and datacenter proxies get blocked). The operator "
    "should use rotating residential proxies (Webshare 'Residential', WEBSHARE_PROXY_USERNAME/PASSWORD); "
    "please try again later."
)


class TranscriptSource(Protocol):
    """Turns a video id into a transcript; blocking (the engine runs it in a thread)."""

    def fetch(self, video_id: str, languages: Sequence[str]) -> Transcript: ...


def _check_video_id(video_id: str) -> None:
    if not isinstance(video_id, str) or not _VIDEO_ID.fullmatch(video_id):
        raise SummaryError("invalid_url")


# requests and youtube_transcript_api are imported lazily, inside functions: importing them costs 100 ms of
# CPU on top of `import api.main` (`benchmarks/imports.py youtube_transcript_api`), which the web process
# would pay at start-up on a 0.1-CPU box for nothing.
@functools.cache
def _session_class() -> type[requests.Session]:
    import requests

    class TimeoutSession(requests.Session):
        """A Session that gives every request `self.timeout` (youtube-transcript-api sets none), counted
        in the outbound metrics."""

        timeout: float = 15.0

        # requests' stubs spell out every keyword of `request`; these are all passed through unchanged.
        def request(self, method: str, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            kwargs.setdefault("timeout", self.timeout)
            if kwargs.get("proxies") is None and self.proxies:
                # requests lets HTTP(S)_PROXY from the environment override session.proxies; ours win.
                kwargs["proxies"] = dict(self.proxies)
            OUTBOUND.labels("youtube").inc()
            try:
                response = super().request(method, url, **kwargs)
            except requests.RequestException:
                OUTBOUND_ERRORS.labels("youtube").inc()
                raise
            if not response.ok:
                OUTBOUND_ERRORS.labels("youtube").inc()
                if response.status_code == 429:
                    OUTBOUND_RATE_LIMITED.labels("youtube").inc()
            return response

    return TimeoutSession


def timeout_session(timeout: float) -> requests.Session:
    """A new `requests.Session` whose requests time out after `timeout` seconds unless told otherwise."""
    session = _session_class()()
    session.timeout = timeout  # type: ignore[attr-defined]
    return session


class YouTubeSource:
    """Captions from YouTube, with a request timeout and optional (Webshare or generic) proxies."""

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

    def fetch(self, video_id: str, languages: Sequence[str]) -> Transcript:
        """The track in the first of `languages` YouTube has, else any manual one, else any generated one.

        Raises only `SummaryError`.
        """
        _check_video_id(video_id)
        try:
            return self._fetch(video_id, languages)
        except SummaryError as error:
            YOUTUBE_ERRORS.labels(error.code).inc()
            raise
        except Exception as exc:
            failure = to_summary_error(exc, proxied=self.proxied)
            YOUTUBE_ERRORS.labels(failure.code).inc()
            raise failure from exc

    def _fetch(self, video_id: str, languages: Sequence[str]) -> Transcript:
        from youtube_transcript_api import NoTranscriptFound, YouTubeTranscriptApi

        with timeout_session(self.timeout) as session:
            # One API object per call: it holds a Session and is not thread-safe.
            api = YouTubeTranscriptApi(proxy_config=self.proxy_config(), http_client=session)
            tracks = api.list(video_id)
            try:
                track = tracks.find_transcript(languages)
            except NoTranscriptFound:
                # min() keeps the first of equals: the first manual track, else the first generated one.
                fallback = min(tracks, key=lambda t: t.is_generated, default=None)
                if fallback is None:
                    raise
                track = fallback
            fetched = track.fetch()
        snippets = [Snippet(s.text, s.start, s.duration) for s in fetched.snippets if s.text.strip()]
        if not snippets:
            raise SummaryError("no_transcript", "The captions of this video are empty.")
        return Transcript(video_id, fetched.language_code, fetched.is_generated, snippets)


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


class FolderSource:
    """Transcripts from `<directory>/<video_id>.json` files (the TRANSCRIPT_DIR format); languages ignored."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def fetch(self, video_id: str, languages: Sequence[str] = ()) -> Transcript:
        """The file's transcript; `no_transcript` when there is none, `invalid_transcript` when it is bad."""
        _check_video_id(video_id)  # also keeps the path inside `directory`
        path = self.directory / f"{video_id}.json"
        try:
            data = json.loads(path.read_bytes())
        except FileNotFoundError:
            raise SummaryError("no_transcript") from None
        except (OSError, ValueError) as exc:  # unreadable, not UTF-8, not JSON
            raise SummaryError("invalid_transcript", f"{path.name} cannot be read as JSON: {exc}") from exc
        try:
            return transcript_from_dict(data, video_id)
        except SummaryError as exc:
            raise SummaryError("invalid_transcript", f"{path.name}: {exc.message}") from None


def _invalid(message: str) -> SummaryError:
    return SummaryError("invalid_transcript", message)


def _seconds(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise _invalid(f"{where} must be a finite number of seconds >= 0, got {value!r}")
    return float(value)


def transcript_from_dict(data: Mapping[str, Any], video_id: str | None = None) -> Transcript:
    """Validate transcript JSON (`video_id`, `language_code`, `is_generated`, `title`?, `snippets`).

    `video_id` fills in a missing "video_id" and must equal a present one; `is_generated` defaults to
    false. Snippets keep their order; blank ones are dropped. Raises `SummaryError("invalid_transcript")`.
    """
    if not isinstance(data, Mapping):
        raise _invalid(f"the transcript must be a JSON object, got {type(data).__name__}")
    found = data.get("video_id", video_id)
    language = data.get("language_code")
    generated = data.get("is_generated", False)
    title = data.get("title")
    items = data.get("snippets")
    if not isinstance(found, str) or not _VIDEO_ID.fullmatch(found):
        raise _invalid(f"video_id must be an 11-character YouTube video id, got {found!r}")
    if video_id is not None and found != video_id:
        raise _invalid(f"video_id {found!r} does not match the requested video {video_id!r}")
    if not isinstance(language, str) or not language.strip():
        raise _invalid(f"language_code must be a non-empty string, got {language!r}")
    if not isinstance(generated, bool):
        raise _invalid(f"is_generated must be true or false, got {generated!r}")
    if title is not None and not isinstance(title, str):
        raise _invalid(f"title must be a string or null, got {title!r}")
    if not isinstance(items, list):
        raise _invalid(f"snippets must be a list, got {type(items).__name__}")
    snippets = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise _invalid(f"snippets[{i}] must be an object, got {type(item).__name__}")
        if not isinstance(text := item.get("text"), str):
            raise _invalid(f"snippets[{i}].text must be a string, got {text!r}")
        start = _seconds(item.get("start"), f"snippets[{i}].start")
        duration = _seconds(item.get("duration"), f"snippets[{i}].duration")
        if text.strip():
            snippets.append(Snippet(text, start, duration))
    if not snippets:
        raise _invalid("snippets has no snippet with text")
    return Transcript(found, language, generated, snippets, title)
