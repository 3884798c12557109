"""Transcript sources: the real youtube-transcript-api over recorded YouTube answers, and JSON folders.

Only the network is replaced (`responses` serves the library's own recorded pages, tests/data/youtube/).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
import youtube_transcript_api as yta

from summarizer.errors import MESSAGES, SummaryError
from summarizer.models import Snippet
from summarizer.transcripts.folder import FolderSource, transcript_from_dict
from summarizer.transcripts.session import timeout_session
from summarizer.transcripts.youtube import YouTubeSource, to_summary_error
from tests.support.data import TRANSCRIPTS
from tests.support.youtube import PLAYER, TIMEDTEXT, VIDEO, WATCH, asset, player_json, replace_player

# transcript.xml: 4 cues, one empty (dropped by the library), "<i>not</i>" stripped.
EXPECTED = [
    Snippet("Hey, this is just a test", 0.0, 1.54),
    Snippet("this is not the original transcript", 1.54, 4.16),
    Snippet("just something shorter, I made up for testing", 5.7, 3.239),
]
WEBSHARE_URL = "http://user-DE-US-rotate:secret@p.webshare.io:80/"


def fetch_error(languages: tuple[str, ...] = ("en",), **kwargs: object) -> SummaryError:
    with pytest.raises(SummaryError) as info:
        YouTubeSource(10.0, **kwargs).fetch(VIDEO, languages)  # type: ignore[arg-type]
    return info.value


def timedtext_query(rsps: responses.RequestsMock) -> dict[str, list[str]]:
    [url] = [c.request.url for c in rsps.calls if "/api/timedtext" in (c.request.url or "")]
    return parse_qs(urlparse(url or "").query)


def sent_with(call: responses.Call) -> dict[str, Any]:
    """The keyword arguments requests sent `call` with (responses keeps them on the request)."""
    kwargs: dict[str, Any] = vars(call.request)["req_kwargs"]
    return kwargs


# --- YouTubeSource: choosing the track ----------------------------------------------------------


def test_fetch_uses_first_available_preferred_language(yt: responses.RequestsMock) -> None:
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["fr", "de", "en"])
    assert transcript.video_id == VIDEO
    assert transcript.language_code == "de"
    assert transcript.is_generated is False
    # Title and channel from the player answer the library downloads anyway (no extra request).
    assert (transcript.title, transcript.channel) == ("Surface Go Review - It\u2019s Awesome", "Dave2D")
    assert (transcript.provider, transcript.translated_from) == ("youtube", None)
    assert transcript.snippets == EXPECTED
    query = timedtext_query(yt)
    assert query["lang"] == ["de"]
    assert "kind" not in query
    assert "fmt" not in query  # the library strips srv3 to get the plain XML
    assert [c.request.method for c in yt.calls] == ["GET", "POST", "GET"]


def test_fetch_prefers_manual_over_generated_in_the_same_language(yt: responses.RequestsMock) -> None:
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["en"])
    assert (transcript.language_code, transcript.is_generated) == ("en", False)
    assert "kind" not in timedtext_query(yt)


def test_fetch_falls_back_to_first_manual_track(yt: responses.RequestsMock) -> None:
    # youtube.innertube.json: manual zh, cs, en, de, hi, ja, ko, es; generated en.
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["fr", "nl"])
    assert (transcript.language_code, transcript.is_generated) == ("zh", False)
    assert timedtext_query(yt)["lang"] == ["zh"]


def test_fetch_falls_back_to_generated_track_when_no_manual_one(yt: responses.RequestsMock) -> None:
    data = player_json()
    tracks = data["captions"]["playerCaptionsTracklistRenderer"]["captionTracks"]
    tracks[:] = [t for t in tracks if t.get("kind") == "asr"]
    replace_player(yt, json.dumps(data))
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["fr"])
    assert (transcript.language_code, transcript.is_generated) == ("en", True)
    assert timedtext_query(yt)["kind"] == ["asr"]
    assert transcript.snippets == EXPECTED


def test_fetch_with_empty_language_list_takes_first_manual(yt: responses.RequestsMock) -> None:
    assert YouTubeSource(10.0).fetch(VIDEO, []).language_code == "zh"


def test_no_caption_tracks_at_all_is_no_transcript(yt: responses.RequestsMock) -> None:
    data = player_json()
    data["captions"]["playerCaptionsTracklistRenderer"]["captionTracks"] = []
    replace_player(yt, json.dumps(data))
    assert fetch_error().code == "no_transcript"


def test_track_without_text_is_no_transcript(yt: responses.RequestsMock) -> None:
    yt.replace(responses.GET, TIMEDTEXT, body='<transcript><text start="0" dur="1"> </text></transcript>')
    err = fetch_error()
    assert err.code == "no_transcript"
    assert "empty" in err.message


def test_every_request_carries_the_timeout(yt: responses.RequestsMock) -> None:
    YouTubeSource(7.5).fetch(VIDEO, ["en"])
    assert len(yt.calls) == 3
    assert [sent_with(c)["timeout"] for c in yt.calls] == [7.5, 7.5, 7.5]


def test_url_instead_of_id_is_rejected_before_any_request(yt: responses.RequestsMock) -> None:
    for bad in (WATCH, "GJLlxj_dtq", "GJLlxj_dtq8/", "../../etc/pa"):
        with pytest.raises(SummaryError) as info:
            YouTubeSource(10.0).fetch(bad, ["en"])
        assert info.value.code == "invalid_url"
    assert len(yt.calls) == 0


# --- YouTubeSource: YouTube's refusals ----------------------------------------------------------


@pytest.mark.parametrize(
    ("player_asset", "code"),
    [
        ("youtube_age_restricted.innertube.json", "age_restricted"),
        ("youtube_request_blocked.innertube.json", "blocked"),
        ("youtube_transcripts_disabled.innertube.json", "transcripts_disabled"),
        ("youtube_transcripts_disabled2.innertube.json", "transcripts_disabled"),
        ("youtube_video_unavailable.innertube.json", "video_unavailable"),
        ("youtube_po_token_required.innertube.json", "po_token_required"),
    ],
)
def test_player_answers_map_to_codes(yt: responses.RequestsMock, player_asset: str, code: str) -> None:
    replace_player(yt, asset(player_asset))
    err = fetch_error()
    assert err.code == code
    assert err.message == MESSAGES[code]
    assert not any("/api/timedtext" in (c.request.url or "") for c in yt.calls)


def test_unplayable_video_says_youtubes_reason(yt: responses.RequestsMock) -> None:
    replace_player(yt, asset("youtube_unplayable.innertube.json"))
    err = fetch_error()
    assert err.code == "video_unavailable"
    assert err.message == f"{MESSAGES['video_unavailable']} YouTube says: Custom Reason"


def test_po_token_only_for_the_affected_track(yt: responses.RequestsMock) -> None:
    # Only the manual "en" track's URL has &exp=xpe; German still works.
    replace_player(yt, asset("youtube_po_token_required.innertube.json"))
    assert YouTubeSource(10.0).fetch(VIDEO, ["de"]).language_code == "de"


def test_captcha_page_is_blocked(yt: responses.RequestsMock) -> None:
    yt.replace(responses.GET, WATCH, body=asset("youtube_too_many_requests.html"))
    err = fetch_error()
    assert err.code == "blocked"
    assert err.message == MESSAGES["blocked"]
    assert "WEBSHARE_PROXY_USERNAME" in err.message


@pytest.mark.parametrize("where", ["watch", "timedtext"])
def test_http_429_is_blocked(yt: responses.RequestsMock, where: str) -> None:
    yt.replace(responses.GET, WATCH if where == "watch" else TIMEDTEXT, status=429)
    assert fetch_error().code == "blocked"


def test_consent_page_then_real_page_succeeds(yt: responses.RequestsMock) -> None:
    yt.replace(responses.GET, WATCH, body=asset("youtube_consent_page.html"))
    yt.add(responses.GET, WATCH, body=asset("youtube.html"))  # served from the second request on
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["en"])
    assert transcript.snippets == EXPECTED
    assert len(yt.calls) == 4
    for call in yt.calls[1:]:
        assert call.request.headers["Cookie"] == "CONSENT=YES+cb.20210328-17-p0.de+FX+119"


@pytest.mark.parametrize("pages", [["youtube_consent_page_invalid.html"], ["youtube_consent_page.html"] * 2])
def test_consent_page_that_cannot_be_passed_is_youtube_error(
    yt: responses.RequestsMock, pages: list[str]
) -> None:
    yt.replace(responses.GET, WATCH, body=asset(pages[0]))
    for page in pages[1:]:
        yt.add(responses.GET, WATCH, body=asset(page))
    err = fetch_error()
    assert (err.code, err.message) == ("youtube_error", MESSAGES["youtube_error"])


@pytest.mark.parametrize(
    ("method", "url", "error"),
    [
        (responses.GET, WATCH, requests.exceptions.ConnectTimeout("connect timed out")),
        (responses.POST, PLAYER, requests.exceptions.ReadTimeout("read timed out")),
        (responses.GET, TIMEDTEXT, requests.exceptions.ReadTimeout("read timed out")),
    ],
)
def test_timeouts_are_timeout(
    yt: responses.RequestsMock, method: str, url: str | re.Pattern[str], error: Exception
) -> None:
    yt.replace(method, url, body=error)
    err = fetch_error()
    assert err.code == "timeout"
    assert "YouTube did not answer in time" in err.message


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        (responses.GET, WATCH, {"body": requests.exceptions.ConnectionError("refused")}),
        (responses.POST, PLAYER, {"status": 500}),
        (responses.POST, PLAYER, {"body": "not json"}),
        (responses.GET, TIMEDTEXT, {"body": "<transcript><text start="}),
        (responses.GET, WATCH, {"body": "<html>no api key here</html>"}),
    ],
)
def test_broken_answers_are_youtube_error(
    yt: responses.RequestsMock, method: str, url: str | re.Pattern[str], kwargs: dict[str, Any]
) -> None:
    yt.replace(method, url, **kwargs)
    assert fetch_error().code == "youtube_error"


# --- YouTubeSource: proxies ---------------------------------------------------------------------


def test_webshare_wins_over_generic_proxy(yt: responses.RequestsMock) -> None:
    source = YouTubeSource(10.0, "http://generic:1", None, "user", "secret", webshare_locations=["de", "us"])
    assert isinstance(source.proxy_config(), yta.proxies.WebshareProxyConfig)
    source.fetch(VIDEO, ["en"])
    for call in yt.calls:
        assert sent_with(call)["proxies"] == {"http": WEBSHARE_URL, "https": WEBSHARE_URL}
        assert call.request.headers["Connection"] == "close"


def test_generic_proxy_beats_proxy_environment_variables(
    yt: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://from-env:3128")
    YouTubeSource(10.0, proxy_https_url="http://mine:8080").fetch(VIDEO, ["en"])
    for call in yt.calls:
        assert sent_with(call)["proxies"]["https"] == "http://mine:8080"
        assert sent_with(call)["proxies"]["http"] == "http://mine:8080"


def test_no_proxy_configured() -> None:
    source = YouTubeSource(10.0, "", "", None, None)
    assert source.proxy_config() is None
    assert source.proxied is False


def test_blocked_through_webshare_says_the_proxy_was_blocked(yt: responses.RequestsMock) -> None:
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    err = fetch_error(webshare_username="user", webshare_password="secret")
    assert err.code == "blocked"
    assert "proxy too" in err.message
    assert len([c for c in yt.calls if c.request.method == "POST"]) == 10  # the library retried (rotation)


def test_429_through_webshare_after_retries_is_blocked(yt: responses.RequestsMock) -> None:
    yt.replace(responses.GET, WATCH, status=429)
    err = fetch_error(webshare_username="user", webshare_password="secret")
    assert err.code == "blocked"
    assert "proxy too" in err.message
    assert len(yt.calls) == 11  # urllib3 Retry(total=10, status_forcelist=[429]) gave up


def test_blocked_through_generic_proxy_says_the_proxy_was_blocked(yt: responses.RequestsMock) -> None:
    yt.replace(responses.GET, WATCH, body=asset("youtube_too_many_requests.html"))
    err = fetch_error(proxy_http_url="http://mine:8080")
    assert err.code == "blocked"
    assert "proxy too" in err.message


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="together"):
        YouTubeSource(10.0, webshare_username="user")
    with pytest.raises(ValueError, match="timeout"):
        YouTubeSource(0)


def test_from_settings() -> None:
    from core.config import Settings

    settings = Settings(
        youtube_timeout=3.5,
        youtube_proxy_http_url="http://mine:8080",
        webshare_proxy_username="user",
        webshare_proxy_password="secret",
        webshare_proxy_locations=["de", "us"],
    )
    source = YouTubeSource.from_settings(settings)
    assert source.timeout == 3.5
    config = source.proxy_config()
    assert config is not None
    assert config.to_requests_dict() == {"http": WEBSHARE_URL, "https": WEBSHARE_URL}


# --- the timeout is real ------------------------------------------------------------------------


@pytest.fixture
def slow_server() -> Iterator[str]:
    """A local HTTP server that answers only after the test is over (or 5 s)."""
    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            release.wait(60)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def test_timeout_session_times_out_for_real(slow_server: str) -> None:
    # The server answers only when the test ends: a ReadTimeout can come from the session's timeout alone.
    with timeout_session(0.3) as session, pytest.raises(requests.exceptions.ReadTimeout) as info:
        session.get(slow_server)
    assert to_summary_error(info.value).code == "timeout"


# --- to_summary_error: every library exception --------------------------------------------------

HTTP_500 = requests.HTTPError("500 Server Error")
ERRORS: list[tuple[Exception, str]] = [
    (yta.NoTranscriptFound(VIDEO, ["fr"], "no tracks"), "no_transcript"),
    (yta.NotTranslatable(VIDEO), "no_transcript"),
    (yta.TranslationLanguageNotAvailable(VIDEO), "no_transcript"),
    (yta.TranscriptsDisabled(VIDEO), "transcripts_disabled"),
    (yta.VideoUnavailable(VIDEO), "video_unavailable"),
    (yta.InvalidVideoId(VIDEO), "video_unavailable"),
    (yta.VideoUnplayable(VIDEO, None, []), "video_unavailable"),
    (yta.AgeRestricted(VIDEO), "age_restricted"),
    (yta.RequestBlocked(VIDEO), "blocked"),
    (yta.IpBlocked(VIDEO), "blocked"),
    (requests.exceptions.RetryError("too many 429 error responses"), "blocked"),
    (yta.PoTokenRequired(VIDEO), "po_token_required"),
    (requests.exceptions.ConnectTimeout(), "timeout"),
    (requests.exceptions.ReadTimeout(), "timeout"),
    (requests.exceptions.ConnectionError(), "youtube_error"),
    (requests.exceptions.ProxyError(), "youtube_error"),
    (yta.YouTubeRequestFailed(VIDEO, HTTP_500), "youtube_error"),
    (yta.YouTubeDataUnparsable(VIDEO), "youtube_error"),
    (yta.FailedToCreateConsentCookie(VIDEO), "youtube_error"),
    (yta.CookieError(), "youtube_error"),
    (yta.CookiePathInvalid(Path("cookies.txt")), "youtube_error"),
    (yta.CookieInvalid(Path("cookies.txt")), "youtube_error"),
    (yta.CouldNotRetrieveTranscript(VIDEO), "youtube_error"),
    (yta.YouTubeTranscriptApiException(), "youtube_error"),
    (ValueError("bad JSON"), "youtube_error"),
    (KeyError("captionTracks"), "youtube_error"),
    (RuntimeError("a bug"), "internal_error"),
]


@pytest.mark.parametrize(("exc", "code"), ERRORS, ids=[type(e).__name__ for e, _ in ERRORS])
def test_to_summary_error(exc: Exception, code: str) -> None:
    err = to_summary_error(exc)
    assert err.code == code
    assert err.message


def test_every_exported_library_exception_is_in_the_table() -> None:
    exported = {
        obj
        for name in yta.__all__
        if isinstance(obj := getattr(yta, name), type) and issubclass(obj, yta.YouTubeTranscriptApiException)
    }
    assert len(exported) >= 19
    assert exported <= {type(exc) for exc, _ in ERRORS}


def test_to_summary_error_passes_summary_errors_through_and_words_proxy_blocks() -> None:
    original = SummaryError("too_long")
    assert to_summary_error(original) is original
    assert to_summary_error(yta.IpBlocked(VIDEO)).message == MESSAGES["blocked"]
    assert "proxy too" in to_summary_error(yta.IpBlocked(VIDEO), proxied=True).message
    assert "proxy" in to_summary_error(requests.exceptions.ProxyError()).message
    assert to_summary_error(yta.VideoUnplayable(VIDEO, None, [])).message == MESSAGES["video_unavailable"]


# --- FolderSource -------------------------------------------------------------------------------


def write(directory: Path, video_id: str, data: object) -> None:
    (directory / f"{video_id}.json").write_text(json.dumps(data), encoding="utf-8")


def test_folder_reads_the_repository_transcripts() -> None:
    source = FolderSource(TRANSCRIPTS)
    transcript = source.fetch("eMlx5fFNoYc", ["de"])  # languages do not matter for a folder
    assert transcript.video_id == "eMlx5fFNoYc"
    assert transcript.title == "Visualizing Attention, a Transformer's Heart | Chapter 6, Deep Learning"
    assert (transcript.language_code, transcript.is_generated) == ("en", False)
    assert len(transcript.snippets) == 421
    assert transcript.snippets[0] == Snippet("In the last chapter, you and I started to step", 0.0, 2.009)
    generated = source.fetch("--7Dd2sAwPA", ["en"])  # leading dashes are fine
    assert generated.is_generated is True
    assert len(generated.snippets) == 89


def test_folder_good_file(tmp_path: Path) -> None:
    write(
        tmp_path,
        "dQw4w9WgXcQ",
        {
            "video_id": "dQw4w9WgXcQ",
            "language_code": "en",
            "is_generated": True,
            "snippets": [
                {"text": "b", "start": 5, "duration": 1},
                {"text": "  ", "start": 6, "duration": 1},
                {"text": "a", "start": 1.5, "duration": 0.5},
            ],
        },
    )
    transcript = FolderSource(str(tmp_path)).fetch("dQw4w9WgXcQ", ["en"])
    assert transcript.snippets == [
        Snippet("b", 5.0, 1.0),
        Snippet("a", 1.5, 0.5),
    ]  # order kept, blank dropped
    assert transcript.is_generated is True
    assert transcript.title is None


def test_folder_missing_file_is_no_transcript(tmp_path: Path) -> None:
    with pytest.raises(SummaryError) as info:
        FolderSource(tmp_path).fetch("dQw4w9WgXcQ", ["en"])
    assert (info.value.code, info.value.message) == ("no_transcript", MESSAGES["no_transcript"])


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"{not json", "dQw4w9WgXcQ.json cannot be read as JSON"),
        (b"\xff\xfe\x00garbage", "dQw4w9WgXcQ.json cannot be read as JSON"),
        (b"[]", "dQw4w9WgXcQ.json: the transcript must be a JSON object, got list"),
        (
            b'{"language_code": "en", "snippets": [{"text": "a", "start": -1, "duration": 1}]}',
            "dQw4w9WgXcQ.json: snippets[0].start must be a finite number of seconds >= 0, got -1",
        ),
        (
            b'{"video_id": "aaaaaaaaaaa", "language_code": "en", "snippets": []}',
            "does not match the requested video 'dQw4w9WgXcQ'",
        ),
    ],
)
def test_folder_malformed_file_is_invalid_transcript(tmp_path: Path, content: bytes, fragment: str) -> None:
    (tmp_path / "dQw4w9WgXcQ.json").write_bytes(content)
    with pytest.raises(SummaryError) as info:
        FolderSource(tmp_path).fetch("dQw4w9WgXcQ", ["en"])
    assert info.value.code == "invalid_transcript"
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "video_id",
    ["../secret", "../../etc/passwd", "..%2F..%2Fabc", "a/b/c/d/e/f", "dQw4w9WgXcQ/", "", "dQw4w9WgXc"],
)
def test_folder_rejects_path_traversal(tmp_path: Path, video_id: str) -> None:
    inner = tmp_path / "dir"
    inner.mkdir()
    write(tmp_path, "../secret", {})  # would be reachable as "../secret" from inner
    with pytest.raises(SummaryError) as info:
        FolderSource(inner).fetch(video_id, ["en"])
    assert info.value.code == "invalid_url"


# --- transcript_from_dict -----------------------------------------------------------------------

GOOD = {"video_id": "dQw4w9WgXcQ", "language_code": "en", "is_generated": False, "title": "T", "snippets": []}


def good(**changes: object) -> dict[str, Any]:
    data = dict(GOOD, snippets=[{"text": "hello", "start": 0.0, "duration": 1.0}])
    data.update(changes)
    return data


def test_from_dict_valid() -> None:
    transcript = transcript_from_dict(good(snippets=[{"text": "x", "start": 3, "duration": 0}]))
    assert transcript.video_id == "dQw4w9WgXcQ"
    assert transcript.title == "T"
    assert transcript.snippets == [Snippet("x", 3.0, 0.0)]
    assert isinstance(transcript.snippets[0].start, float)


def test_from_dict_inline_shape_takes_the_video_id_given() -> None:
    # The REST request's inline transcript has no video_id and may omit is_generated.
    data = {"language_code": "de", "snippets": [{"text": "Hallo", "start": 1.25, "duration": 2.0}]}
    transcript = transcript_from_dict(data, "dQw4w9WgXcQ")
    assert (transcript.video_id, transcript.language_code, transcript.is_generated) == (
        "dQw4w9WgXcQ",
        "de",
        False,
    )
    assert transcript.title is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("text", "the transcript must be a JSON object, got str"),
        (good(video_id=None), "video_id must be an 11-character YouTube video id, got None"),
        (
            good(video_id="../../etc/pa"),
            "video_id must be an 11-character YouTube video id, got '../../etc/pa'",
        ),
        (good(language_code=""), "language_code must be a non-empty string, got ''"),
        (good(language_code=None), "language_code must be a non-empty string, got None"),
        (good(is_generated="yes"), "is_generated must be true or false, got 'yes'"),
        (good(title=5), "title must be a string or null, got 5"),
        (good(snippets={"text": "a"}), "snippets must be a list, got dict"),
        (good(snippets=None), "snippets must be a list, got NoneType"),
        (good(snippets=["a"]), "snippets[0] must be an object, got str"),
        (good(snippets=[{"start": 0, "duration": 1}]), "snippets[0].text must be a string, got None"),
        (
            good(
                snippets=[
                    {"text": "a", "start": 0, "duration": 1},
                    {"text": "b", "start": "1", "duration": 1},
                ]
            ),
            "snippets[1].start must be a finite number of seconds >= 0, got '1'",
        ),
        (
            good(snippets=[{"text": "a", "start": math.nan, "duration": 1}]),
            "snippets[0].start must be a finite number of seconds >= 0, got nan",
        ),
        (
            good(snippets=[{"text": "a", "start": 0, "duration": math.inf}]),
            "snippets[0].duration must be a finite number of seconds >= 0, got inf",
        ),
        (
            good(snippets=[{"text": "a", "start": True, "duration": 1}]),
            "snippets[0].start must be a finite number of seconds >= 0, got True",
        ),
        (
            good(snippets=[{"text": "a", "start": 0}]),
            "snippets[0].duration must be a finite number of seconds >= 0, got None",
        ),
        (good(snippets=[]), "snippets has no snippet with text"),
        (good(snippets=[{"text": " \n", "start": 0, "duration": 1}]), "snippets has no snippet with text"),
    ],
)
def test_from_dict_invalid(data: object, message: str) -> None:
    with pytest.raises(SummaryError) as info:
        transcript_from_dict(data)  # type: ignore[arg-type]
    assert (info.value.code, info.value.message) == ("invalid_transcript", message)


def test_from_dict_video_id_must_match() -> None:
    with pytest.raises(SummaryError) as info:
        transcript_from_dict(good(), "aaaaaaaaaaa")
    assert info.value.message == "video_id 'dQw4w9WgXcQ' does not match the requested video 'aaaaaaaaaaa'"
    assert transcript_from_dict(good(), "dQw4w9WgXcQ").video_id == "dQw4w9WgXcQ"


# --- YouTubeSource: YouTube's own translations -------------------------------------------------


def test_a_language_without_a_track_gets_youtube_s_translation(yt: responses.RequestsMock) -> None:
    """No French track, but every track is translatable: the English one (first of the preferred) is
    translated by YouTube (`tlang=fr`), and the transcript says from what."""
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["fr", "en"], translate_to="fr")
    query = timedtext_query(yt)
    assert query["tlang"] == ["fr"] and query["lang"] == ["en"]
    assert (transcript.language_code, transcript.translated_from) == ("fr", "en")


def test_a_track_in_the_language_asked_for_is_not_translated(yt: responses.RequestsMock) -> None:
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["de", "en"], translate_to="de")
    assert "tlang" not in timedtext_query(yt)
    assert (transcript.language_code, transcript.translated_from) == ("de", None)


def test_without_a_language_asked_for_nothing_is_translated(yt: responses.RequestsMock) -> None:
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["fr"])
    assert "tlang" not in timedtext_query(yt)
    assert transcript.translated_from is None and transcript.language_code != "fr"


def test_a_language_no_track_translates_into_falls_back_to_the_preferred_ones(
    yt: responses.RequestsMock,
) -> None:
    transcript = YouTubeSource(10.0).fetch(VIDEO, ["xx", "de"], translate_to="xx")
    assert "tlang" not in timedtext_query(yt)
    assert (transcript.language_code, transcript.translated_from) == ("de", None)
