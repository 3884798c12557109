"""Transcripts from `<directory>/<video_id>.json` files (`TRANSCRIPT_DIR`), and the validation of
transcript JSON (the contract's format, also what REST clients send inline)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from summarizer.errors import SummaryError
from summarizer.models import Snippet, Transcript
from summarizer.transcripts.source import VIDEO_ID, check_video_id


class FolderSource:
    """Transcripts from `<directory>/<video_id>.json` files (the TRANSCRIPT_DIR format); languages ignored."""

    name = "folder"

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def fetch(
        self, video_id: str, languages: Sequence[str] = (), translate_to: str | None = None
    ) -> Transcript:
        """The file's transcript; `no_transcript` when there is none, `invalid_transcript` when it is bad."""
        check_video_id(video_id)  # also keeps the path inside `directory`
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
    if not isinstance(found, str) or not VIDEO_ID.fullmatch(found):
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
    return Transcript(found, language, generated, snippets, title, provider="folder")
