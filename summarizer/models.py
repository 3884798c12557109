"""Plain data shapes shared by the engine: transcripts in, summaries out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any

import orjson


@dataclass(frozen=True, slots=True)
class Snippet:
    """One caption cue, as youtube-transcript-api's `to_raw_data()` gives it (seconds)."""

    text: str
    start: float
    duration: float


@dataclass(slots=True)
class Transcript:
    """A caption track of one video (the contract's transcript file format)."""

    video_id: str
    language_code: str
    is_generated: bool
    snippets: list[Snippet]
    title: str | None = None
    channel: str | None = None  # who published the video (its YouTube channel's name)
    provider: str = ""  # which transcript provider served it: youtube, supadata, folder ("": the request)
    translated_from: str | None = None  # the track's own language, when YouTube translated it for us

    @property
    def duration(self) -> float:
        """Seconds from 0 to the end of the last snippet."""
        return max((s.start + s.duration for s in self.snippets), default=0.0)

    def to_dict(self) -> dict[str, Any]:
        """As kept (cache, job state): snippets as `[text, start, duration]`, a third smaller than objects."""
        # Not `asdict`, which copies every snippet as a dict first: cdiD-9MMpb0 (3.5 h, 5,502 snippets) took
        # 41 ms of CPU, now 0.4 ms (`python -m timeit -s "from summarizer.transcripts.folder import
        # FolderSource; t = FolderSource('tests/data/transcripts').fetch('cdiD-9MMpb0')" "t.to_dict()"`).
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["snippets"] = [(s.text, s.start, s.duration) for s in self.snippets]
        return data

    def digest(self) -> str:
        """What tells this transcript's content apart (32 hex digits; 30,000 snippets: 12 ms of CPU)."""
        content = (self.language_code, self.is_generated, self.title, self.channel)
        snippets = [(s.text, s.start, s.duration) for s in self.snippets]
        return hashlib.blake2b(orjson.dumps([content, snippets]), digest_size=16).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            snippets=[Snippet(*s) for s in data["snippets"]],
            **{k: v for k, v in data.items() if k != "snippets"},
        )


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence-like unit of a transcript with the moment it starts and ends.

    `starts` / `ends`: whether it begins / ends where a sentence does (a unit cut out of a longer sentence,
    or out of unpunctuated captions between two pauses, does not); a point shown from it says so with "…".
    """

    text: str
    start: float
    end: float
    starts: bool = True
    ends: bool = True


@dataclass(slots=True)
class Chunk:
    """A time-ordered run of sentences summarized on its own."""

    index: int
    sentences: list[Sentence]

    @property
    def start(self) -> float:
        return self.sentences[0].start

    @property
    def end(self) -> float:
        return max(s.end for s in self.sentences)


@dataclass(frozen=True, slots=True)
class Point:
    """A key point: a sentence of the transcript and the moment it is said."""

    text: str
    start: float
    url: str


@dataclass(slots=True)
class ChunkSummary:
    """The key points of one chunk (the contract's `chunks[]` item)."""

    index: int
    start: float
    end: float
    points: list[Point] = field(default_factory=list)
    source: str = "extractive"  # who wrote the points: "extractive" (TextRank) or "llm"
    title: str | None = None  # a short label of what the chunk is about ("parallel autonomy · testbed")


def moment_url(video_id: str, seconds: float) -> str:
    """Link to a moment of the video (`https://youtu.be/<id>?t=<s>`)."""
    return f"https://youtu.be/{video_id}?t={int(seconds)}"
