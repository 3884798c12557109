"""`summarizer.extractive`: key points and TL;DR from real transcripts, with sumy but without NLTK data."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

import summarizer.extractive as extractive
from summarizer.extractive import TOKENIZER, language_tools, make_tldr, summarize_chunk
from summarizer.models import Chunk, ChunkSummary, Point, Sentence
from summarizer.outline import outline
from summarizer.readable import point_text
from tests.support.data import ROOT
from tests.support.extractive import load, outcome, summarize


def test_tokenizer_keeps_words_only() -> None:
    assert TOKENIZER.to_words("Hello, world! It's 3.5 self-driving cars—ok? «Très» bien_2") == (
        "Hello",
        "world",
        "It's",
        "self-driving",
        "cars",
        "ok",
        "Très",
        "bien",
    )
    assert TOKENIZER.to_words("我们去公园") == ("我", "们", "去", "公", "园")
    assert TOKENIZER.to_sentences("One here. Two there! Three?") == ("One here.", "Two there!", "Three?")


def test_language_tools() -> None:
    stem, stop_words = language_tools("de")
    assert "und" in stop_words
    assert stem("häuser") == stem("haus")
    stem, stop_words = language_tools("pt-BR")
    assert "que" in stop_words
    stem, stop_words = language_tools("xx")
    assert stop_words == frozenset()
    assert stem("Running") == "running"


@pytest.mark.parametrize(
    "video_id", ["--7Dd2sAwPA", "--dnfTaoXKM", "LPZh9BOjkQs", "brJu7qMJdVc", "3zu317upAUA", "cdiD-9MMpb0"]
)
def test_key_points_lie_in_their_chunk_and_link_to_their_moment(video_id: str) -> None:
    transcript = load(video_id)
    chunks = outline(transcript, 300.0, 900).chunks
    for chunk, summary in zip(chunks, summarize(transcript), strict=True):
        assert (summary.index, summary.start, summary.end) == (chunk.index, chunk.start, chunk.end)
        assert len(summary.points) == min(3, len({s.text for s in chunk.sentences}))
        said = {s.start: s for s in chunk.sentences}
        assert [p.start for p in summary.points] == sorted(p.start for p in summary.points)
        for point in summary.points:
            assert chunk.start <= point.start <= chunk.end
            assert point.url == f"https://youtu.be/{video_id}?t={int(point.start)}"
            assert point.text == point_text(said[point.start], transcript.language_code)


def test_first_chunk_golden() -> None:
    summary = summarize(load("LPZh9BOjkQs"))[0]
    assert [(p.start, p.text[:40]) for p in summary.points] == [
        (105.484, "\u2026and then have the model repeatedly pred"),
        (231.84, "Given the huge number of parameters and "),
        (286.9, "Workers flag unhelpful or problematic pr"),
    ]
    assert summary.points[0].url == "https://youtu.be/LPZh9BOjkQs?t=105"


def test_same_input_same_output() -> None:
    transcript = load("brJu7qMJdVc")
    first, second = summarize(transcript), summarize(transcript)
    assert first == second
    points = [p for s in first for p in s.points]
    assert make_tldr(points, "de", 3) == make_tldr(list(points), "de", 3)


def test_prefers_informative_sentences_and_skips_repeats() -> None:
    sentences = [
        Sentence("Yeah.", 0.0, 1.0),
        Sentence("Neural networks learn their weights from data by gradient descent.", 1.0, 5.0),
        Sentence("Yeah.", 5.0, 6.0),
        Sentence("Right.", 6.0, 7.0),
        Sentence("Gradient descent nudges the network weights to fit the training data.", 7.0, 11.0),
    ]
    summary = summarize_chunk(Chunk(0, sentences), "abcdefghijk", "en", 3)
    assert [p.text for p in summary.points] == [
        sentences[0].text,
        sentences[1].text,
        sentences[4].text,
    ]
    summary = summarize_chunk(Chunk(0, sentences), "abcdefghijk", "en", 2)
    assert [p.start for p in summary.points] == [1.0, 7.0]


def test_unknown_language_and_tiny_chunk() -> None:
    summary = summarize_chunk(
        Chunk(4, [Sentence("Kia ora koutou katoa.", 12.5, 14.0)]), "abcdefghijk", "mi", 3
    )
    assert summary == ChunkSummary(
        4, 12.5, 14.0, [Point("Kia ora koutou katoa.", 12.5, "https://youtu.be/abcdefghijk?t=12")]
    )


@pytest.mark.parametrize("video_id", ["LPZh9BOjkQs", "3zu317upAUA", "cdiD-9MMpb0"])
def test_tldr_points_are_key_points_spread_over_the_video_in_time_order(video_id: str) -> None:
    transcript = load(video_id)
    points = [p for s in summarize(transcript) for p in s.points]
    tldr = make_tldr(points, transcript.language_code, 3)
    assert len(tldr) == 3 and all(p in points for p in tldr)
    assert [p.start for p in tldr] == sorted(p.start for p in tldr)
    first, last = points[0].start, points[-1].start
    stretches = {min(2, int((p.start - first) / (last - first) * 3)) for p in tldr}
    assert len(stretches) == 3  # one from each third of the video


def test_the_statement_of_purpose_comes_first_and_is_not_repeated() -> None:
    transcript = load("LPZh9BOjkQs")
    points = [p for s in summarize(transcript) for p in s.points]
    purpose = points[4]
    tldr = make_tldr(points, "en", 3, purpose)
    assert tldr[0] == purpose and len(tldr) == 3 and tldr.count(purpose) == 1


def test_tldr_ranks_bounded_groups_only(monkeypatch: pytest.MonkeyPatch) -> None:
    transcript = load("cdiD-9MMpb0")
    sentences = [s for c in outline(transcript, 300.0, 900).chunks for s in c.sentences]
    points = [Point(s.text, s.start, "") for s in sentences]
    sizes: list[int] = []
    rank = extractive.rank

    def spy(summarizer: object, texts: list[str], count: int) -> list[int]:
        sizes.append(len(texts))
        return rank(summarizer, texts, count)

    monkeypatch.setattr(extractive, "rank", spy)
    assert make_tldr(points, "en", 3)
    assert max(sizes) <= 48
    assert sum(sizes) < 1.5 * len(points)


def test_empty_inputs() -> None:
    assert make_tldr([], "en", 3) == []


def test_worker_functions_and_chunks_pickle() -> None:
    chunk = outline(load("--7Dd2sAwPA"), 300.0, 900).chunks[0]
    assert pickle.loads(pickle.dumps(chunk)) == chunk
    assert pickle.loads(pickle.dumps(summarize_chunk)) is summarize_chunk
    assert pickle.loads(pickle.dumps(make_tldr)) is make_tldr


VIDEOS = ("LPZh9BOjkQs", "brJu7qMJdVc", "3zu317upAUA")
CHILD = f"""
import json, sys
from summarizer import extractive
assert "sumy" not in sys.modules and "nltk" not in sys.modules, "sumy imported before warm_up"
import nltk.data

def refuse(*args, **kwargs):
    raise AssertionError(f"NLTK data requested: {{args}}")

nltk.data.find = nltk.data.load = refuse
extractive.warm_up()
from tests.support.extractive import outcome
print(json.dumps([outcome(v) for v in {VIDEOS!r}]))
"""


@pytest.mark.parametrize("seed", ["0", "1"])
def test_runs_without_nltk_data_and_is_stable_across_processes(tmp_path: Path, seed: str) -> None:
    """A fresh interpreter with no NLTK data reachable gives the same summaries (whatever the hash seed)."""
    env = {**os.environ, "NLTK_DATA": str(tmp_path), "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps([outcome(v) for v in VIDEOS]))
