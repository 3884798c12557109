"""Subtitle files (SRT, WebVTT, YouTube's rolling auto-caption WebVTT) written from the recorded transcripts
in tests/data/transcripts, the way the tools people use write them.

`rolling_vtt` rebuilds the shape tests/data/transcripts/MANIFEST.md describes for the ASR tracks (yt-dlp's
`*.en.vtt`): each content cue shows the previous line plus the new one with `<hh:mm:ss.mmm><c> word</c>`
word timings, and a ~10 ms repeat cue (the new line, then a blank line) follows it. A verbatim excerpt of the
real file is in tests/data/subtitles/ (README.md there).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from tests.support.data import DATA, TRANSCRIPTS

SUBTITLES = DATA / "subtitles"  # files people send, kept as they are (README.md there)


def snippets(video_id: str) -> list[dict[str, Any]]:
    return load(video_id)["snippets"]  # type: ignore[no-any-return]


def load(video_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TRANSCRIPTS / f"{video_id}.json").read_text(encoding="utf-8"))
    return data


def clock(seconds: float, separator: str = ".") -> str:
    """`3725.5` → `01:02:05.500` (`,` before the milliseconds in SRT)."""
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(video_id: str) -> str:
    """The transcript as an SRT file: numbered cues, `,` milliseconds, CRLF line ends (as most tools do)."""
    blocks = []
    for number, snippet in enumerate(snippets(video_id), 1):
        start, end = snippet["start"], snippet["start"] + snippet["duration"]
        blocks.append(
            f"{number}\r\n{clock(start, ',')} --> {clock(end, ',')}\r\n{_crlf(snippet['text'])}\r\n"
        )
    return "\r\n".join(blocks)


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def vtt(video_id: str) -> str:
    """The transcript as a WebVTT file with YouTube's header (`Kind`, `Language`), text HTML-escaped."""
    data = load(video_id)
    cues = [
        f"{clock(s['start'])} --> {clock(s['start'] + s['duration'])}\n{html.escape(s['text'], quote=False)}\n"
        for s in data["snippets"]
    ]
    return f"WEBVTT\nKind: captions\nLanguage: {data['language_code']}\n\n" + "\n".join(cues)


def rolling_vtt(video_id: str) -> str:
    """The transcript as YouTube's rolling auto-captions (yt-dlp), see the module docstring."""
    data = load(video_id)
    cues = []
    previous = " "  # the first cue's first line is blank
    for snippet in data["snippets"]:
        start, end = snippet["start"], snippet["start"] + snippet["duration"]
        words = snippet["text"].split()
        step = snippet["duration"] / max(1, len(words))
        timed = words[0] + "".join(
            f"<{clock(start + step * (i + 0.5))}><c> {word}</c>" for i, word in enumerate(words[1:], 1)
        )
        cues.append(f"{clock(start)} --> {clock(end)} align:start position:0%\n{previous}\n{timed}\n")
        cues.append(f"{clock(end)} --> {clock(end + 0.01)} align:start position:0%\n{snippet['text']}\n \n")
        previous = snippet["text"]
    return f"WEBVTT\nKind: captions\nLanguage: {data['language_code']}\n\n" + "\n".join(cues)


def youtube_transcript_text(video_id: str) -> str:
    """The transcript as YouTube's "Show transcript" panel copies: a timestamp line, then its text."""
    lines = []
    for snippet in snippets(video_id):
        seconds = int(snippet["start"])
        minutes, secs = divmod(seconds, 60)
        hours, minutes = divmod(minutes, 60)
        stamp = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
        lines += [stamp, snippet["text"].replace("\n", " ")]
    return "\n".join(lines) + "\n"


def file(name: str) -> Path:
    return SUBTITLES / name
