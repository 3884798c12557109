"""Captions from Supadata's managed transcript API, which works from cloud hosts YouTube blocks.

`GET {SUPADATA_BASE_URL}/transcript?url=<watch URL>&lang=<code>&mode=native` with `x-api-key`
(docs.supadata.ai "Transcript"): 200 with `{"content": [{"text", "offset" (ms), "duration" (ms), "lang"}],
"lang", "availableLangs"}`, or 202 with `{"jobId"}` to poll at `{base}/transcript/{jobId}` until `status` is
`completed` (the same fields) or `failed`. `mode=native` only reads captions the video has (1 credit) and
never pays for speech-to-text. Errors come as `{"error": "<code>", "message", "details"}`: 206
`transcript-unavailable` is the video's fact (final); 401/402/403 (key, plan), 429 (quota) and 5xx pass the
video to the next provider.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from summarizer.errors import SummaryError
from summarizer.links import watch_url
from summarizer.models import Snippet, Transcript
from summarizer.transcripts.session import timeout_session
from summarizer.transcripts.source import check_video_id

if TYPE_CHECKING:
    from core.config import Settings

POLL_SECONDS = 1.0  # between two looks at an asynchronous job


class SupadataSource:
    """Captions through Supadata; `timeout` bounds one request and the wait for an asynchronous job."""

    name = "supadata"

    def __init__(self, api_key: str, base_url: str, timeout: float) -> None:
        self._api_key = api_key
        self._base = base_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SupadataSource:
        """Build from `SUPADATA_API_KEY`, `SUPADATA_BASE_URL` and `SUPADATA_TIMEOUT`."""
        if not settings.supadata_api_key:
            raise ValueError("set SUPADATA_API_KEY to use Supadata")
        return cls(settings.supadata_api_key, settings.supadata_base_url, settings.supadata_timeout)

    def fetch(self, video_id: str, languages: Sequence[str], translate_to: str | None = None) -> Transcript:
        """The captions in the first of `languages` Supadata has (it falls back to another one itself)."""
        import requests

        check_video_id(video_id)
        params = {"url": watch_url(video_id), "mode": "native"}
        if languages:
            params["lang"] = languages[0].split("-")[0]
        headers = {"x-api-key": self._api_key}
        deadline = time.monotonic() + self.timeout
        try:
            with timeout_session(self.timeout, self.name) as session:
                answer = _answer(session.get(f"{self._base}/transcript", params=params, headers=headers))
                job_id = answer.get("jobId") if "content" not in answer else None
                while job_id is not None and "content" not in answer:
                    if time.monotonic() + POLL_SECONDS > deadline:
                        raise SummaryError("timeout", "The transcript service did not finish in time.")
                    time.sleep(POLL_SECONDS)
                    answer = _answer(session.get(f"{self._base}/transcript/{job_id}", headers=headers))
        except requests.Timeout:
            raise SummaryError("timeout", "The transcript service did not answer in time.") from None
        except requests.RequestException as error:
            raise _unavailable(f"could not reach it ({type(error).__name__})") from None
        return _transcript(video_id, answer)


def _unavailable(why: str) -> SummaryError:
    return SummaryError(
        "provider_unavailable",
        f"The transcript service (Supadata) is unavailable: {why}; please try again later.",
    )


def _answer(response: Any) -> dict[str, Any]:
    """The JSON of a successful answer (a transcript or a job to wait for); failures as `SummaryError`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _unavailable(f"HTTP {response.status_code} with an unexpected body")
    code = body.get("error")
    if response.status_code == 206 or code == "transcript-unavailable":
        raise SummaryError("no_transcript")
    if response.status_code == 404 or code == "not-found":
        raise SummaryError("video_unavailable")
    if response.status_code == 429 or code == "limit-exceeded":
        raise _unavailable("its quota is used up")
    if response.status_code in (401, 402, 403) or code in ("unauthorized", "upgrade-required", "forbidden"):
        raise _unavailable("it refused the operator's API key (SUPADATA_API_KEY) or plan")
    if not response.ok:
        raise _unavailable(f"HTTP {response.status_code}")
    if body.get("status") == "failed":
        raise _unavailable(f"the job failed ({body.get('error')})")
    return body


def _transcript(video_id: str, answer: dict[str, Any]) -> Transcript:
    content = answer.get("content")
    if not isinstance(content, list):
        raise _unavailable("the answer holds no timed captions")
    snippets = []
    for item in content:
        if not isinstance(item, dict) or not isinstance(text := item.get("text"), str) or not text.strip():
            continue
        offset, duration = item.get("offset"), item.get("duration")
        if not isinstance(offset, int | float) or not isinstance(duration, int | float):
            continue
        snippets.append(Snippet(text, max(0.0, offset / 1000), max(0.0, duration / 1000)))
    if not snippets:
        raise SummaryError("no_transcript", "The captions of this video are empty.")
    language = answer.get("lang")
    return Transcript(
        video_id,
        language if isinstance(language, str) and language else "und",
        False,  # Supadata does not say; `mode=native` reads the captions YouTube has
        snippets,
        provider="supadata",
    )
