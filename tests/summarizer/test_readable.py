"""Points people read: disfluencies out (meaning unchanged), fragments marked, sentence starts capitalised."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from summarizer.models import Sentence
from summarizer.readable import ELLIPSIS, point_text, without_disfluencies


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("that's that's the problem", "that's the problem"),
        ("so the the model learns", "so the model learns"),
        ("I I think so", "I think so"),
        ("it went in the in the wrong direction", "it went in the wrong direction"),
        ("we uh moved um to Berlin", "we moved to Berlin"),
        ("you know I was there", "I was there"),
        ("it was, you know, hard", "it was, hard"),
        ("and I mean it's cheap", "and it's cheap"),
        ("it's cheap, I mean", "it's cheap"),
    ],
)
def test_disfluencies_are_removed(said: str, written: str) -> None:
    assert without_disfluencies(said) == written


@pytest.mark.parametrize(
    "kept",
    [
        "he had had enough",
        "very very fast",
        "you know the answer",
        "I mean what I say",
        "Berlin Berlinale",  # a word and a longer one
        "the Erlangen result",  # "er" inside a word, and German "er" is a pronoun
    ],
)
def test_meaning_stays(kept: str) -> None:
    assert without_disfluencies(kept) == kept


@given(
    st.lists(
        st.sampled_from(["the", "the", "model", "uh", "learns", "you", "know", "I", "mean", ","]), max_size=30
    )
)
def test_cleaning_never_adds_words(words: list[str]) -> None:
    # One pass is not always a fixed point ("know the,, know the know I" loses "know the" again on a second
    # pass); the summarizer runs it once, so only "never adds" is promised.
    text = " ".join(words)
    assert len(without_disfluencies(text).split()) <= len(text.split())


def sentence(text: str, starts: bool, ends: bool) -> Sentence:
    return Sentence(text, 1.0, 2.0, starts, ends)


def test_fragments_are_marked_and_only_sentence_starts_capitalised() -> None:
    assert point_text(sentence("so the model learns", True, True), "en") == "So the model learns"
    assert (
        point_text(sentence("the model learns and", False, False), "en")
        == f"{ELLIPSIS}the model learns and{ELLIPSIS}"
    )
    assert point_text(sentence("the model learns.", False, True), "en") == f"{ELLIPSIS}the model learns."
    assert (
        point_text(sentence("Attention is all you need.", True, True), "en") == "Attention is all you need."
    )
    assert point_text(sentence("what i think i'd do", True, False), "en") == f"What I think I'd do{ELLIPSIS}"
    assert point_text(sentence("ich denke i ist", True, True), "de") == "Ich denke i ist"  # "I" is English


def test_a_point_never_ends_on_dangling_punctuation_before_its_ellipsis() -> None:
    text = point_text(sentence("we went there -", False, False), "en")
    assert re.search(r"[ ,;:-]\u2026$", text) is None
