"""Retrieval over real transcripts: questions written by reading them, the answering passage among the top 3,
in English (manual and auto captions), French and German; the bounds and the per-process index cache."""

from __future__ import annotations

from itertools import pairwise

import pytest

from summarizer import retrieval
from summarizer.models import Snippet, Transcript
from summarizer.retrieval import MAX_PASSAGES, MIN_PASSAGES, VideoIndex, search
from summarizer.transcripts.folder import FolderSource
from tests.support.data import GERMAN, LONG, MEDIUM, TRANSCRIPTS

FRENCH = "3zu317upAUA"  # Mélenchon at the ESSEC, 2 h, French manual captions
AUTO = "9P6rdqiybaw"  # Kurzgesagt on wormholes, auto-generated (unpunctuated) captions


def transcript(video_id: str) -> Transcript:
    return FolderSource(str(TRANSCRIPTS)).fetch(video_id, ("en", "fr", "de"))


_INDEXES: dict[str, VideoIndex] = {}


def index(video_id: str) -> VideoIndex:
    if video_id not in _INDEXES:
        _INDEXES[video_id] = VideoIndex.of(transcript(video_id))
    return _INDEXES[video_id]


# (video, question, words of the passage that answers it, read in the transcript, and when they are said)
QUESTIONS = [
    # 3Blue1Brown, attention: "each block of multi-headed attention ends up with around 600 million
    # parameters"
    (MEDIUM, "How many parameters does each block of multi-headed attention have?", "600 million parameters"),
    (MEDIUM, "What is the difference between self-attention and cross-attention?", "cross-attention"),
    (MEDIUM, "Why does the word mole mean different things?", "one mole of carbon dioxide"),
    (MEDIUM, "Why are later tokens prevented from influencing earlier ones?", "masking"),
    # Karpathy on Lex Fridman, 3.5 h
    (LONG, "Do academics have the next ImageNet?", "academics currently have the next ImageNet"),
    (LONG, "Is he a night owl, when is he productive?", "night owl"),
    (LONG, "What does he think of the Whisper transcripts?", "Whisper transcripts"),
    (LONG, "Could physics have exploits like a buffer overflow?", "buffer overflow"),
    (LONG, "Which books by Nick Lane does he recommend?", "Life Ascending"),
    # French
    (FRENCH, "Sur combien d'années la dette française est-elle étalée ?", "étalée sur 7 ans"),
    (FRENCH, "Faut-il rester dans l'OTAN ?", "nous sortirons de l'OTAN"),
    (
        FRENCH,
        "Pourquoi ne se dit-il pas social-démocrate ?",
        "qui fait de vous plutôt un social-démocrate ? Non, je ne suis pas",
    ),
    # German
    (GERMAN, "Wie viele Arme gibt es in Deutschland?", "13 Millionen in Deutschland"),
    (GERMAN, "Wann steigt Frankreich aus der Atomkraft aus?", "aus der Atomkraft aussteigen"),
    (GERMAN, "Was hält er vom Freihandel?", "an den Freihandel nicht glaube"),
    # Auto-generated captions: no punctuation, no capitals
    (AUTO, "What exotic matter could keep a wormhole open?", "the vacuum of space itself"),
    (AUTO, "Are the supermassive black holes in galaxies really wormholes?", "supermassive black holes"),
]


@pytest.mark.parametrize(("video_id", "question", "answer"), QUESTIONS)
def test_the_answering_passage_is_among_the_top_three(video_id: str, question: str, answer: str) -> None:
    passages = index(video_id).search(question)
    top = [" ".join(p.text.split()) for p in passages[:3]]
    assert any(answer in text for text in top), f"{question!r}: {[t[:80] for t in top]}"


def test_passages_are_bounded_ordered_and_timed() -> None:
    found = index(MEDIUM).search("attention pattern keys queries softmax weights")
    assert MIN_PASSAGES <= len(found) <= MAX_PASSAGES
    assert [p.score for p in found] == sorted((p.score for p in found), reverse=True)
    captions = transcript(MEDIUM).snippets
    for passage in found:
        assert 0 <= passage.start <= captions[-1].start
        assert len(passage.text.split()) <= retrieval.MERGE_GROUPS * (retrieval.GROUP_WORDS + 40)
    # No two passages overlap or touch: adjacent matches were merged into one.
    groups = index(MEDIUM).groups
    starts = sorted(p.start for p in found)
    firsts = [next(i for i, g in enumerate(groups) if g[0].start == s) for s in starts]
    assert all(b - a >= 2 for a, b in pairwise(firsts))


def test_adjacent_matching_groups_become_one_passage() -> None:
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"
    filler = [Snippet(f"{words} number {n}.", n * 10.0, 10.0) for n in range(40)]
    filler[20] = Snippet("The wombat eats grass at night. " * 4, 200.0, 10.0)
    filler[21] = Snippet("A wombat sleeps in the day. " * 4, 210.0, 10.0)
    found = VideoIndex.of(Transcript("x" * 11, "en", False, filler)).search("What does the wombat do?")
    assert len(found) == 1 and found[0].start == 200.0
    assert "eats grass" in found[0].text and "sleeps in the day" in found[0].text


def test_nothing_matches() -> None:
    assert index(MEDIUM).search("Wombats kangaroos platypus") == []
    assert index(MEDIUM).search("the of and ?") == []  # stop words only
    assert VideoIndex.of(Transcript("x" * 11, "en", False, [])).search("anything") == []


def test_stems_and_stop_words_of_the_language() -> None:
    # German stemming: "Atomkraft" / "Atomkraftwerke" aside, "Verfassungen" finds "Verfassung".
    assert any("Verfassung" in p.text for p in index(GERMAN).search("Verfassungen"))
    assert retrieval.terms("Les dettes de la France", "fr") == retrieval.terms("dette France", "fr")
    assert retrieval.terms("l'OTAN", "fr") == ["otan"]


def test_the_index_is_kept_per_video_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval, "_INDEXES", type(retrieval._INDEXES)())
    video = transcript(GERMAN)
    assert search("de-video", "Atomkraft", None, keep=2) is None  # no index, no transcript: ask for it
    first = search("de-video", "Atomkraft", video, keep=2)
    assert first and search("de-video", "Atomkraft", None, keep=2) == first  # the kept index answers
    search("b", "Atomkraft", video, keep=2)
    search("c", "Atomkraft", video, keep=2)
    assert list(retrieval._INDEXES) == ["b", "c"]  # the least recently asked went
    assert search("de-video", "Atomkraft", None, keep=2) is None
