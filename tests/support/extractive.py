"""Extractive summaries of the recorded transcripts, as the tests compare them (also in a fresh
interpreter: test_extractive's child process imports `outcome` from here)."""

from __future__ import annotations

import json

from summarizer.extractive import make_tldr, summarize_chunk
from summarizer.models import ChunkSummary, Snippet, Transcript
from summarizer.outline import outline
from tests.support.data import TRANSCRIPTS


def load(video_id: str) -> Transcript:
    data = json.loads((TRANSCRIPTS / f"{video_id}.json").read_text(encoding="utf-8"))
    snippets = [Snippet(s["text"], s["start"], s["duration"]) for s in data["snippets"]]
    return Transcript(data["video_id"], data["language_code"], data["is_generated"], snippets, data["title"])


def summarize(transcript: Transcript, count: int = 3) -> list[ChunkSummary]:
    return [
        summarize_chunk(c, transcript.video_id, transcript.language_code, count)
        for c in outline(transcript, 300.0, 900).chunks
    ]


def outcome(video_id: str) -> tuple[list[list[tuple[float, str]]], list[tuple[float, str]]]:
    """Every chunk's points and the TL;DR points of a video, as plain data."""
    transcript = load(video_id)
    summaries = summarize(transcript)
    tldr = make_tldr([p for s in summaries for p in s.points], transcript.language_code, 3)
    return [[(p.start, p.text) for p in s.points] for s in summaries], [(p.start, p.text) for p in tldr]
