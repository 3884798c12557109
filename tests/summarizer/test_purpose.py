"""A video's own statement of purpose, looked for in its opening only, in English, German and French."""

from __future__ import annotations

import pytest

from summarizer.models import Sentence
from summarizer.purpose import statement_of_purpose


def opening(text: str, at: float = 20.0, video: float = 1200.0) -> list[Sentence]:
    return [
        Sentence("welcome back everyone", 0.0, 5.0),
        Sentence(text, at, at + 5),
        Sentence("the end", video - 5, video),
    ]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "in this video we'll see how belief propagation works"),
        ("en", "today we're going to build a tiny compiler"),
        ("en", "I want to talk about why the sky is blue"),
        ("de", "In diesem Video erkläre ich die Grundlagen"),
        ("fr", "Aujourd'hui nous allons parler de la dissuasion"),
        ("en-GB", "In this talk I'll show three results"),
    ],
)
def test_the_statement_is_found(language: str, text: str) -> None:
    found = statement_of_purpose(opening(text), language)
    assert found is not None and found.text == text


def test_only_in_the_opening_and_not_in_an_ad() -> None:
    late = opening("in this video we'll see the proof", at=900.0)
    assert statement_of_purpose(late, "en") is None  # past a quarter of a 20-minute video
    early = opening("in this video brought to you by our sponsor", at=20.0)
    assert statement_of_purpose(early, "en", [(15.0, 40.0)]) is None


def test_nothing_claims_to_be_one() -> None:
    assert statement_of_purpose(opening("let's see what that would look like"), "en") is None
    assert statement_of_purpose(opening("in this video we'll see"), "ja") is None  # no phrasings known
    assert statement_of_purpose([], "en") is None
