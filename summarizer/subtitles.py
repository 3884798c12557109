"""Subtitle files people send instead of a link YouTube would not serve: SRT, WebVTT (YouTube's rolling
auto-captions included) or timestamped text → a `Transcript` the engine summarizes like any other.

Parsed with webvtt-py (SRT and WebVTT: maintained, MIT, pure Python without dependencies, and linear on
hostile input). Import: 4.8 ms of CPU and 0.3 MiB of RSS on top of `import api.main`
(`benchmarks/imports.py webvtt`, median of 5), paid in the CPU process only. `parse_subtitles` (one core,
`benchmarks/subtitles.py`, median of 5): the 3.5-hour cdiD-9MMpb0 as SRT (435 KB) 0.21 s, as WebVTT (386 KB)
0.20 s, as YouTube's rolling auto-captions (1.98 MB) 0.40 s; the costliest file accepted (2 MiB of 30,000 SRT
cues) 0.85 s; refusals under 0.01 s (too many cues is counted before parsing). At Render's 0.1 CPU that is up
to 9 s of wall time, far too long for the event loop (and a thread of the web process would take the same
CPU from every ack), so `read_subtitles` hands it to the engine's runner: the CPU process, nice 19 and
paced, where the summarizing runs too; at most `MAX_READING` files at a time.
The `srt` package was measured too (faster on well-formed SRT) and rejected: its one regex backtracks
super-linearly (16 KB of spaces took 20 s of CPU, 2,000 digits 87 s), a denial of service in a 2 KB upload;
tests/summarizer/test_subtitles.py keeps those shapes fast here.

A summary made from a user's file must never be served as the summary of the video for anyone else, and
two different files of one video must not share one either. The engine caches and joins jobs by video id
and language (summarizer/jobs.py `Job.key`, summarizer/cache.py), so the file's digest goes into one of
them:

- with a YouTube link, the job keeps the video's id (points link into it) and the language code carries a
  BCP 47 private-use subtag with 80 bits of the captions' digest, e.g. `en-x-k3l5gq2a-ub7d4c1z`; every part
  of the summarizer reads only the primary subtag (`en`);
- without one, the job's video id is `file-<20 base32 characters>` (100 bits of the digest); YouTube ids are
  11 characters, so it is never one, and `links_nowhere` tells renderers not to link it.

Failures are remembered under the same keys. The transcript itself is cached apart from the video's, under the
job's digest of it (`Job.inline`, summarizer/cache.py), for questions about the summary (summarizer/ask.py):
its sender's in a chat (`Engine.submit_file`), a REST job's by its id. Identical captions (same text, timings
and language, whatever the file format) share one job and one cached summary, which is what they would make
anyway.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from core.formats import byte_size, clip, clock, is_language_code
from core.lazy import lazy_regex
from core.limits import MAX_TRANSCRIPT_CHARS, MAX_TRANSCRIPT_SNIPPETS, MAX_VIDEO_SECONDS, SUBTITLES_MAX_BYTES
from summarizer.errors import SummaryError
from summarizer.models import Snippet, Transcript

if TYPE_CHECKING:
    from webvtt.models import Timestamp

    from core.config import Settings
    from summarizer.cpu_process import Runner
    from summarizer.jobs import Job

__all__ = [
    "EXTENSIONS",
    "FILE_PREFIX",
    "MAX_READING",
    "PROVIDER",
    "Limits",
    "check_size",
    "filename_hints",
    "is_file_video",
    "job_resource",
    "links_nowhere",
    "parse_subtitles",
    "read_subtitles",
    "spoken_language",
    "too_large",
    "unlinked",
]

CODE = "invalid_subtitles"
EXTENSIONS = (".srt", ".vtt", ".txt")
FILE_PREFIX = "file-"
PROVIDER = "subtitles"  # the job resource's `provider` for captions read from a file
MAX_READING = 2  # files read at the same time in one process (a third one is refused as `busy`)
_reading = 0
_FILE_ID_CHARS = 20  # base32 characters of the digest in a file job's video id: 100 bits
_TAG_CHARS = 16  # base32 characters of the digest in a language code's private-use subtags: 80 bits
# A rolling track: most cues begin with the line the cue before ended with (yt-dlp's YouTube auto-captions).
_ROLLING_SHARE = 0.4  # of all cues (in YouTube's rolling tracks almost 0.5: every other cue)
_WORD_SECONDS = 0.4  # the last line of timestamped text, which has no next timestamp to end it
_TEXT_MAX_LINE = 5000  # characters of one line of timestamped text (a snippet of an inline transcript too)

# What reads a file (`parse_subtitles`) is compiled at its first use, in the CPU process: the web process
# imports this module at start-up (`is_file_video`, `links_nowhere`, `filename_hints`, `Limits`) but never
# reads a file; compiling these six costs it 0.6 ms of CPU before the port opens (`benchmarks/regexes.py`).
_SRT_TIMING = lazy_regex(r"^[ \t]*\d+:\d{1,2}:\d{1,2}[,.]\d+[ \t]*-->", re.M)
_UNNUMBERED = lazy_regex(
    r"(^|\n\n)(?=[ \t]*\d+:\d{1,2}:\d{1,2}[,.]\d+[ \t]*-->)"
)  # an SRT cue without its number
_ASS_TAG = lazy_regex(r"\{\\[^{}\n]*\}")  # SRT files from Aegisub & co: {\an8}, {\i1}
# Timestamped text, e.g. YouTube's "Show transcript" panel copied: "1:23" alone on a line, then the text, or
# "[1:23] text" / "(01:02:03) text" on one line.
_TEXT_STAMP = lazy_regex(
    r"[ \t]*[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2})(?:[.,]\d{1,3})?[\])]?(?:[ \t]*[-:\u2013\u2014][ \t]*|[ \t]+|$)"
)
_ANY_STAMP = lazy_regex(r"\d:\d\d")
_CONTROL = lazy_regex(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FILE_ID = re.compile(rf"{FILE_PREFIX}[a-z2-7]{{{_FILE_ID_CHARS}}}")
_FILE_LINK = re.compile(rf"(?:youtu\.be/|[?&]v=){_FILE_ID.pattern}(?![A-Za-z0-9_-])")
# yt-dlp names files "<title> [<video id>].<language>.<ext>"
_NAME_ID = re.compile(r"\[([A-Za-z0-9_-]{11})\]")
# Only two-letter languages (`.de`, `.pt-BR`): `part.two.srt` is not in the language "two".
_NAME_LANGUAGE = re.compile(r"\.([A-Za-z]{2}(?:-[A-Za-z0-9]{2,8})*)$")


@dataclass(frozen=True, slots=True)
class Limits:
    """What a subtitle file may be: bytes, cues, characters of text, and seconds it runs."""

    max_bytes: int = SUBTITLES_MAX_BYTES
    max_snippets: int = MAX_TRANSCRIPT_SNIPPETS
    max_chars: int = MAX_TRANSCRIPT_CHARS
    max_seconds: float = MAX_VIDEO_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            settings.subtitles_max_bytes,
            settings.max_transcript_snippets,
            settings.max_transcript_chars,
            settings.max_video_seconds,
        )


def is_file_video(video_id: str) -> bool:
    """Whether `video_id` names a subtitle file sent without a video link (not a YouTube video)."""
    return _FILE_ID.fullmatch(video_id) is not None


def links_nowhere(url: str) -> bool:
    """Whether `url` is a link the engine made for a subtitle file without a video (show it unlinked)."""
    return _FILE_LINK.search(url) is not None


def filename_hints(name: str | None) -> tuple[str | None, str | None, str | None]:
    """What a file's name says: `(video id, language, title)`, each None when it says nothing.

    yt-dlp writes `Title [LPZh9BOjkQs].en.vtt`: the video, English, "Title".
    """
    if not name:
        return None, None, None
    stem = PurePath(name.replace("\\", "/")).name
    for extension in EXTENSIONS:
        if stem.lower().endswith(extension):
            stem = stem[: -len(extension)]
            break
    language = None
    if found := _NAME_LANGUAGE.search(stem):
        language, stem = found[1], stem[: found.start()]
    video_id = None
    if found_id := _NAME_ID.search(stem):
        video_id = found_id[1]
        stem = (stem[: found_id.start()] + stem[found_id.end() :]).strip()
    title = " ".join(stem.replace("_", " ").split())[:200] or None
    return video_id, language, title


def spoken_language(code: str) -> str:
    """A language code without its private-use subtags: `en-x-abcdefgh-ijklmnop` → `en`."""
    return re.split(r"-x-", code, maxsplit=1, flags=re.I)[0]


def unlinked(resource: Any) -> Any:
    """A job resource (or a chunk of one) with the links the engine made for a file without a video
    (`links_nowhere`) as null `url`s; anything else unchanged."""
    if isinstance(resource, dict):
        return {
            key: None if key == "url" and isinstance(value, str) and links_nowhere(value) else unlinked(value)
            for key, value in resource.items()
        }
    if isinstance(resource, list):
        return [unlinked(item) for item in resource]
    return resource


def job_resource(job: Job) -> dict[str, Any]:
    """`job.to_dict()`, the contract's job resource, with `unlinked` points for a file without a video."""
    data = job.to_dict()
    return unlinked(data) if is_file_video(job.video_id) else data


def check_size(data: bytes | str, limits: Limits) -> None:
    """Refuse a file over `limits.max_bytes` (text counted as UTF-8) before anything reads it."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise _error(too_large(size, limits))


def too_large(size: int, limits: Limits) -> str:
    """What to say about a file of `size` bytes over `limits.max_bytes`."""
    limit = byte_size(limits.max_bytes)
    exact = "" if limit.endswith(" bytes") else f" ({limits.max_bytes} bytes)"
    return f"The file is {byte_size(size)}; subtitle files may be at most {limit}{exact}."


async def read_subtitles(
    runner: Runner,
    data: bytes | str,
    limits: Limits,
    *,
    video_id: str | None = None,
    language: str | None = None,
    default_language: str = "en",
    filename: str | None = None,
    title: str | None = None,
) -> Transcript:
    """`parse_subtitles` in `runner` (the CPU process in the service), after the size check.

    Raises `busy` while `MAX_READING` files are being read: each may take seconds of the CPU process.
    """
    global _reading
    check_size(data, limits)
    if _reading >= MAX_READING:
        raise SummaryError(
            "busy",
            "I am reading other subtitle files right now; please send it again in a minute.",
            retry_after=60,
        )
    _reading += 1
    try:
        return await runner.run(
            parse_subtitles, data, limits, video_id, language, default_language, filename, title
        )
    finally:
        _reading -= 1


def parse_subtitles(
    data: bytes | str,
    limits: Limits = Limits(),  # frozen: one shared default is fine
    video_id: str | None = None,
    language: str | None = None,
    default_language: str = "en",
    filename: str | None = None,
    title: str | None = None,
) -> Transcript:
    """The captions of a subtitle file as a transcript of `video_id` (a YouTube id), or of a `file-…` id.

    The file's language is what it says (WebVTT's `Language:` header), else its name's (`x.de.srt`), else
    `language`, else `default_language`. Raises only `SummaryError("invalid_subtitles")`, with a message
    that says what is wrong.
    """
    check_size(data, limits)
    text = decode(data)
    # Every cue costs ~30 microseconds to read: a file with more cues than a video of max_seconds has is
    # refused before (YouTube's rolling tracks have two cues a line, ~19,000 for 6 hours).
    if (arrows := text.count("-->")) > limits.max_snippets:
        raise _error(f"The file has {arrows} cues; at most {limits.max_snippets} are accepted.")
    stated: str | None = None
    if text.lstrip().startswith("WEBVTT"):
        cues, stated = _vtt_cues(text)
    elif _SRT_TIMING().search(text):
        cues = _srt_cues(text)
    elif arrows:  # WebVTT timings without the header
        cues, stated = _vtt_cues("WEBVTT\n\n" + text)
    else:
        cues = _text_cues(text)
    if not cues and arrows:
        raise _error(
            "I could not read a single cue in this file: each needs a timing line (like "
            "00:00:01,000 --> 00:00:04,000, times that exist) with its text on the lines below."
        )
    if not cues:
        raise _error(
            "I found no subtitles in this file: no cues with timings (like 00:00:01,000 --> 00:00:04,000). "
            "Send an .srt or .vtt file, or text with a timestamp (like 1:23) before each line."
        )
    rolling = _is_rolling(cues)
    snippets = _rolled(cues) if rolling else [_snippet(lines, start, end) for start, end, lines in cues]
    snippets = sorted((s for s in snippets if s.text), key=lambda s: s.start)
    if not snippets:
        raise _error("The subtitles have timings but no text.")
    _check_limits(snippets, limits)
    code = _language(stated, filename, language, default_language)
    digest = _digest(code, snippets)
    if video_id is None:
        video_id, code_in_job = FILE_PREFIX + digest[:_FILE_ID_CHARS], code
    else:
        tag = digest[:_TAG_CHARS]
        code_in_job = f"{code}-x-{tag[:8]}-{tag[8:]}"
    return Transcript(video_id, code_in_job, rolling, snippets, title, provider=PROVIDER)


def decode(data: bytes | str) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark) or UTF-16 with one; nothing else is
    guessed, since a wrong guess would summarize garbled text."""
    if isinstance(data, str):
        # A JSON string may hold lone surrogates, which nothing downstream (orjson, Redis) can store.
        text = data.encode("utf-8", "replace").decode("utf-8").removeprefix("\ufeff")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise _error(f"The file starts as UTF-16 text but is not (at byte {error.start}).") from None
        text = text.removeprefix("\ufeff")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise _error(
                f"The file is not UTF-8 text (line {line} is not). Save it as UTF-8 (most editors: "
                "Save as… → Encoding: UTF-8) and send it again."
            ) from None
    if "\x00" in text:
        raise _error("This is not a text file (it holds NUL characters): send an .srt, .vtt or .txt file.")
    return _CONTROL().sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


Cue = tuple[float, float, list[str]]  # start, end (seconds), the non-empty lines of text


def _vtt_cues(text: str) -> tuple[list[Cue], str | None]:
    """WebVTT cues (tags stripped, character references decoded) and the `Language:` the header states."""
    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    try:
        captions = webvtt.from_string(text.lstrip())
    except (MalformedFileError, MalformedCaptionError, ValueError) as error:
        raise _error(f"This WebVTT file cannot be read: {_shown(error)}.") from None
    stated = None
    for line in captions.metadata:
        name, _, value = line.partition(":")
        if name.strip().lower() == "language" and is_language_code(value.strip()):
            stated = value.strip()
    cues = [(_at(c.start_time), _at(c.end_time), _lines(c.text, html.unescape)) for c in captions.captions]
    return cues, stated


def _at(timestamp: Timestamp) -> float:
    return timestamp.in_milliseconds() / 1000


def _srt_cues(text: str) -> list[Cue]:
    """SRT cues (HTML-like and `{\\an8}` tags stripped)."""
    import io

    import webvtt
    from webvtt.errors import MalformedCaptionError, MalformedFileError

    # webvtt-py reads a cue only after its number: a cue without one gets one, and whatever stands before
    # the first cue (a title, blank lines) is dropped.
    text = _UNNUMBERED().sub(r"\g<1>0\n", text)
    first = _SRT_TIMING().search(text)
    if first is not None:
        number_at = text.rfind("\n", 0, max(0, first.start() - 1)) + 1
        number = text[number_at : max(number_at, first.start() - 1)].strip()
        text = f"{number}\n{text[first.start() :]}" if number.isdigit() else f"1\n{text[first.start() :]}"
    try:
        captions = webvtt.from_buffer(io.StringIO(text), format="srt")
    except (MalformedFileError, MalformedCaptionError, ValueError) as error:
        raise _error(f"This SRT file cannot be read: {_shown(error)}.") from None
    return [
        (_at(c.start_time), _at(c.end_time), _lines(_ASS_TAG().sub("", c.text))) for c in captions.captions
    ]


def _text_cues(text: str) -> list[Cue]:
    """Timestamped text: each timestamp starts a cue that runs to the next one."""
    found: list[tuple[float, list[str]]] = []
    if _ANY_STAMP().search(text) is None:
        return []
    stamps = _TEXT_STAMP()
    for line in text.split("\n"):
        if (stamp := stamps.match(line)) is not None and (seconds := _seconds(stamp[1])) is not None:
            found.append((seconds, []))
            line = line[stamp.end() :]
        if found and (line := line.strip()):
            found[-1][1].append(line[:_TEXT_MAX_LINE])
    if len(found) < 2:
        return []  # one timestamp in a text is a text that mentions a time, not a transcript
    cues: list[Cue] = []
    for (start, lines), (after, _) in zip(found, [*found[1:], (None, [])], strict=True):
        text_of_cue = " ".join(lines)
        end = (
            after
            if after is not None and after >= start
            else start + _WORD_SECONDS * max(1, len(text_of_cue.split()))
        )
        cues.append((start, end, [text_of_cue] if text_of_cue else []))
    return cues


def _seconds(stamp: str) -> float | None:
    parts = [int(p) for p in stamp.split(":")]
    if any(p > 59 for p in parts[1:]):
        return None
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return float(seconds)


def _lines(text: str, decode_references: Callable[[str], str] | None = None) -> list[str]:
    """The non-empty lines of a cue's text, trimmed."""
    lines = []
    for line in text.split("\n"):
        if decode_references is not None:
            line = decode_references(line)
        if line := line.strip():
            lines.append(line)
    return lines


def _is_rolling(cues: Sequence[Cue]) -> bool:
    """YouTube's rolling auto-captions: every other cue shows the line the cue before ended with, then a new
    one (the cues between repeat that line alone). Identical one-line cues ("[Music]") are not rolling."""
    rolled = sum(
        1
        for before, cue in pairwise(cues)
        if before[2] and len(cue[2]) >= 2 and _same(cue[2][0], before[2][-1])
    )
    return len(cues) > 2 and rolled >= _ROLLING_SHARE * (len(cues) - 1)


def _same(line: str, other: str) -> bool:
    """The same words (the repeat of a line may be spaced differently from the line with word timings)."""
    return line == other or line.split() == other.split()


def _rolled(cues: Sequence[Cue]) -> list[Snippet]:
    """A rolling track's new lines, each with the timing of the cue that brought it (MANIFEST.md of
    tests/data/transcripts: the ~10 ms repeat cues bring nothing new and are dropped)."""
    snippets = []
    shown: list[str] = []
    for start, end, lines in cues:
        # At most 3 lines repeat (YouTube shows 2): a file of huge cues cannot make this quadratic.
        most = min(len(lines), len(shown), 3)
        overlap = next(
            (k for k in range(most, 0, -1) if all(map(_same, lines[:k], shown[-k:]))),
            0,
        )
        if new := lines[overlap:]:
            snippets.append(_snippet(new, start, end))
        shown = lines
    return snippets


def _snippet(lines: list[str], start: float, end: float) -> Snippet:
    """A snippet of a cue's lines, its times to the millisecond (a cue ending before it starts lasts 0 s)."""
    return Snippet("\n".join(lines), round(start, 3), round(max(0.0, end - start), 3))


def _check_limits(snippets: Sequence[Snippet], limits: Limits) -> None:
    if len(snippets) > limits.max_snippets:
        raise _error(f"The file has {len(snippets)} cues; at most {limits.max_snippets} are accepted.")
    chars = sum(len(s.text) for s in snippets)
    if chars > limits.max_chars:
        raise _error(
            f"The subtitles hold {chars} characters of text; at most {limits.max_chars} are accepted."
        )
    end = max(s.start + s.duration for s in snippets)
    if end > limits.max_seconds:
        raise _error(
            f"The subtitles run until {clock(end)}; this service summarizes videos up to "
            f"{clock(limits.max_seconds)} ({limits.max_seconds / 3600:g} h)."
        )


def _language(stated: str | None, filename: str | None, preferred: str | None, default: str) -> str:
    """The captions' language code without private-use subtags (`en`, `pt-BR`)."""
    for code in (stated, filename_hints(filename)[1], preferred, default):
        if code and len(code) <= 35 and is_language_code(code):
            return spoken_language(code)
    return "en"


def _digest(language: str, snippets: Sequence[Snippet]) -> str:
    """Lowercase base32 of the SHA-256 of the captions (language, text, timings to the millisecond)."""
    import orjson

    canonical = orjson.dumps(
        [language, [[s.text, round(s.start * 1000), round(s.duration * 1000)] for s in snippets]]
    )
    return base64.b32encode(hashlib.sha256(canonical).digest()).decode().lower().rstrip("=")


def _shown(error: Exception) -> str:
    """A library's error message, short enough to show."""
    return clip(str(error), 120)


def _error(message: str) -> SummaryError:
    return SummaryError(CODE, message)
