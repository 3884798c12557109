"""The recorded data the tests run on (tests/data/) and the videos they use from it."""

from __future__ import annotations

from pathlib import Path

from core.telemetry import TRANSCRIPT_FETCHES

ROOT = Path(__file__).resolve().parents[2]  # the repository
DATA = ROOT / "tests" / "data"
TRANSCRIPTS = DATA / "transcripts"  # <video_id>.json caption files, a TRANSCRIPT_DIR
YOUTUBE = DATA / "youtube"  # YouTube's own answers, recorded

SHORT = "LPZh9BOjkQs"  # 3Blue1Brown, 8:46, manual captions: 2 chunks
MEDIUM = "eMlx5fFNoYc"  # 3Blue1Brown, 26 min, manual captions: 6 chunks
LONG = "cdiD-9MMpb0"  # 3.5 h podcast: 44 chunks, 132 key points (several messages)
GERMAN = "brJu7qMJdVc"  # German captions
UNCAPTIONED = "AAAAAAAAAAA"  # no captions anywhere here: fetching its transcript fails (`no_transcript`)


def transcript_fetches() -> float:
    """How often this process asked a transcript provider (the folder too) so far, whatever came of it."""
    return sum(s.value for m in TRANSCRIPT_FETCHES.collect() for s in m.samples if s.name.endswith("_total"))
