"""Key phrases from term statistics: multi-word subjects over single words, chapter titles that tell chunks
apart, generic and stop words never, ads left out."""

from __future__ import annotations

from summarizer.keyphrases import TITLE_SEPARATOR, KeyPhrases
from summarizer.models import Chunk, Sentence


def chunk(index: int, *texts: str) -> Chunk:
    start = index * 300.0
    return Chunk(index, [Sentence(t, start + i * 10, start + i * 10 + 10) for i, t in enumerate(texts)])


CHUNKS = [
    chunk(
        0,
        "A large language model predicts the next word.",
        "The large language model is trained on text.",
        "Every large language model has parameters, many parameters.",
        "You know, the thing is, it's kind of like a thing.",
    ),
    chunk(
        1,
        "Attention lets words talk to each other.",
        "The attention pattern is a grid of weights.",
        "The query vector meets the key vector in the attention pattern.",
        "The large language model uses the attention pattern.",
    ),
]


def test_the_subject_is_a_multi_word_phrase_and_no_topic_is_generic() -> None:
    topics = KeyPhrases(CHUNKS, "en").topics(8)
    assert topics[0] == "large language model"
    assert "attention pattern" in topics
    assert not {"thing", "kind", "know", "model", "language"} & set(topics)  # generic, or part of the subject
    words = [w for t in topics for w in t.split()]
    assert len(words) == len(set(words))  # no two topics share a word


def test_chapter_titles_name_what_sets_each_chunk_apart() -> None:
    phrases = KeyPhrases(CHUNKS, "en")
    assert phrases.title(0) == "parameters"  # "large language model" is said in both: it tells none apart
    assert phrases.title(1) == f"attention pattern{TITLE_SEPARATOR}vector"
    assert KeyPhrases(CHUNKS[:1], "en").title(0) == f"large language model{TITLE_SEPARATOR}parameters"


def test_sentences_in_an_ad_window_are_left_out() -> None:
    ad = chunk(2, "Brilliant Brilliant premium subscription.", "Brilliant premium subscription today.")
    phrases = KeyPhrases([*CHUNKS, ad], "en", ads=[(600.0, 700.0)])
    assert not [t for t in phrases.topics(8) if "brilliant" in t.lower() or "premium" in t.lower()]
    assert phrases.title(2) is None


def test_a_phrase_is_spelled_as_it_is_most_often() -> None:
    mostly_lower = [chunk(0, "Attention is all.", "attention again.", "attention wins.")]
    assert KeyPhrases(mostly_lower, "en").topics(3) == ["attention"]
    mostly_capital = [chunk(0, "Attention is all.", "Attention again.", "Attention wins.")]
    assert KeyPhrases(mostly_capital, "en").topics(3) == ["Attention"]
