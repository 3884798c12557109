"""`summarizer.chunking`: bounded, ordered chunks from made-up sentences and real transcripts."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from summarizer.chunking import make_chunks
from summarizer.models import Chunk, Sentence, Snippet, Transcript
from summarizer.outline import outline
from summarizer.sentences import split_sentences, word_count

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "data" / "transcripts"
ALL = [
    "--7Dd2sAwPA",
    "--dnfTaoXKM",
    "LPZh9BOjkQs",
    "brJu7qMJdVc",
    "sektMcC_PAk",
    "eMlx5fFNoYc",
    "3zu317upAUA",
    "FtriFMxsOWw",
    "cdiD-9MMpb0",
]


def load(video_id: str) -> Transcript:
    data = json.loads((TRANSCRIPTS / f"{video_id}.json").read_text(encoding="utf-8"))
    snippets = [Snippet(s["text"], s["start"], s["duration"]) for s in data["snippets"]]
    return Transcript(data["video_id"], data["language_code"], data["is_generated"], snippets, data["title"])


def even(count: int, words: int = 10, seconds: float = 10.0) -> list[Sentence]:
    """`count` back-to-back sentences of `words` words and `seconds` each."""
    return [Sentence(" ".join(["w"] * words), i * seconds, (i + 1) * seconds) for i in range(count)]


def sizes(chunks: list[Chunk]) -> list[int]:
    return [len(c.sentences) for c in chunks]


def words(chunk: Chunk) -> int:
    return sum(word_count(s.text) for s in chunk.sentences)


def test_closes_a_chunk_before_it_passes_max_words() -> None:
    assert sizes(make_chunks(even(23), max_seconds=1000, max_words=50)) == [5, 5, 5, 5, 3]


def test_closes_a_chunk_before_its_span_passes_max_seconds() -> None:
    chunks = make_chunks(even(20), max_seconds=60, max_words=1000)
    assert sizes(chunks) == [6, 6, 6, 2]
    assert all(c.end - c.start <= 60 for c in chunks)


def test_tiny_trailing_chunk_is_merged_into_the_previous_one() -> None:
    assert sizes(make_chunks(even(21), max_seconds=1000, max_words=50)) == [5, 5, 5, 6]
    assert sizes(make_chunks(even(13), max_seconds=60, max_words=1000)) == [6, 7]


def test_trailing_chunk_stays_apart_when_merging_would_pass_one_and_a_quarter_limits() -> None:
    assert sizes(make_chunks(even(22), max_seconds=1000, max_words=50)) == [5, 5, 5, 5, 2]
    assert sizes(make_chunks(even(14), max_seconds=60, max_words=1000)) == [6, 6, 2]


def test_oversized_sentence_gets_its_own_chunk() -> None:
    tail = [Sentence(s.text, s.start + 30.0, s.end + 30.0) for s in even(2)]
    sentences = [*even(2), Sentence(" ".join(["w"] * 80), 20.0, 30.0), *tail]
    assert sizes(make_chunks(sentences, max_seconds=1000, max_words=50)) == [2, 1, 2]


def test_edge_cases() -> None:
    assert make_chunks([], 300, 900) == []
    assert sizes(make_chunks(even(1), 300, 900)) == [1]
    with pytest.raises(ValueError):
        make_chunks(even(3), 0, 900)
    with pytest.raises(ValueError):
        make_chunks(even(3), 300, 0)


@pytest.mark.parametrize("video_id", ALL)
@pytest.mark.parametrize(("max_seconds", "max_words"), [(300.0, 900), (60.0, 150)])
def test_real_transcripts_give_bounded_chunks_covering_every_sentence_once(
    video_id: str, max_seconds: float, max_words: int
) -> None:
    transcript = load(video_id)
    chunks = outline(transcript, max_seconds, max_words).chunks
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert [s for c in chunks for s in c.sentences] == split_sentences(
        transcript.snippets, min(40, max_words), transcript.language_code
    )
    for chunk in chunks[:-1]:
        assert words(chunk) <= max_words
        assert chunk.end - chunk.start <= max_seconds or len(chunk.sentences) == 1
    last = chunks[-1]
    assert words(last) <= 1.25 * max_words
    assert last.end - last.start <= 1.25 * max_seconds or len(last.sentences) == 1
    for before, after in pairwise(chunks):
        assert before.start <= after.start


def test_three_and_a_half_hours_in_forty_odd_chunks() -> None:
    transcript = load("cdiD-9MMpb0")
    chunks = outline(transcript, 300.0, 900).chunks
    assert 42 <= len(chunks) <= 50
    assert chunks[0].start == 0.0
    assert chunks[-1].end == pytest.approx(transcript.duration)
