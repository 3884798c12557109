"""`summarizer.sentences` on made-up cues and on real YouTube captions (manual and auto-generated)."""

from __future__ import annotations

import json
import re
import statistics
from bisect import bisect_right
from itertools import pairwise
from pathlib import Path

import pytest

from summarizer.models import Sentence, Snippet, Transcript
from summarizer.sentences import clean_text, split_sentences, word_count
from summarizer.words import FUNCTION_WORDS

TRANSCRIPTS = Path(__file__).resolve().parents[1] / "data" / "transcripts"
AUTO = ["--7Dd2sAwPA", "--dnfTaoXKM", "9P6rdqiybaw", "azOmzumh0vQ", "0KgCqGtXqFc", "-812wqOXGz4"]
MANUAL = [
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


def cues(*texts: str, step: float = 2.0) -> list[Snippet]:
    """Back-to-back snippets, `step` seconds apart."""
    return [Snippet(text, i * step, step) for i, text in enumerate(texts)]


def texts(*items: str, max_words: int = 40) -> list[str]:
    return [s.text for s in split_sentences(cues(*items), max_words)]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("first line\nsecond line", "first line second line"),
        ("a\u00a0b  \t c", "a b c"),
        ("[Music]", ""),
        ("[musique]", ""),
        ("[Applause] thank you", "thank you"),
        ("Oui, madame. [ rires ]", "Oui, madame."),
        ("*Beifall*", ""),
        ("♪ la la la ♪", ""),
        ("♪ and then", "and then"),
        ("- [Andrej] Yes.", "Yes."),
        ("- Yes.\n- No.", "Yes. No."),
        ("Mais … - Je le prends bien.", "Mais … Je le prends bien."),
        ("U.S.-based", "U.S.-based"),
        ("-Merci de clarifier pour nous.", "Merci de clarifier pour nous."),
        (">> Welcome back", "Welcome back"),
        ("(applause) (Laughter) (acclamations, applaudissements) ok", "ok"),
        ("the association (Remembering struggles)", "the association (Remembering struggles)"),
        ("-5 degrees outside", "-5 degrees outside"),
        ("<i>so</i> good", "so good"),
        ("she - he's strong", "she - he's strong"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_splits_punctuated_text_at_sentence_ends() -> None:
    got = texts(
        "Mr. Smith paid 3.5 dollars in the U.S. today.",
        "Really? Yes! It was... well, expensive. Dr. Who agreed… Then",
        "we left.",
    )
    assert got == [
        "Mr. Smith paid 3.5 dollars in the U.S. today.",
        "Really?",
        "Yes!",
        "It was... well, expensive.",
        "Dr. Who agreed…",
        "Then we left.",
    ]


def test_french_spaced_punctuation_and_cjk() -> None:
    assert texts("Il dit «\u00a0oui Madame\u00a0?\u00a0» Donc elle part.", "C'est tout.") == [
        "Il dit « oui Madame ? »",
        "Donc elle part.",
        "C'est tout.",
    ]
    assert texts("今天天气很好。我们去", "公园吧\uff01好的。") == [
        "今天天气很好。",
        "我们去公园吧\uff01",
        "好的。",
    ]


def test_long_sentence_is_cut_at_a_comma_within_the_limit() -> None:
    words = [f"w{i}" for i in range(60)]
    words[27] += ","
    got = texts(" ".join(words[:30]), " ".join(words[30:]) + ".")
    assert got == [" ".join(words[:28]), " ".join(words[28:]) + "."]


def test_long_sentence_without_commas_is_cut_at_a_cue_boundary() -> None:
    got = texts(*(" ".join(f"w{i}{j}" for j in range(8)) for i in range(6)), "end.", max_words=20)
    assert [len(t.split()) for t in got] == [16, 16, 17]


def test_auto_captions_are_cut_at_the_longest_pause() -> None:
    snippets = cues(*(" ".join(f"w{i}{j}" for j in range(5)) for i in range(8)))
    start = [s.start for s in snippets]
    start[3:] = [t + 3.0 for t in start[3:]]  # silence after the third cue
    snippets = [Snippet(s.text, t, 2.0) for s, t in zip(snippets, start, strict=True)]
    assert [word_count(s.text) for s in split_sentences(snippets)] == [15, 25]


def test_start_is_interpolated_inside_the_cue_and_end_is_the_cue_end() -> None:
    sentences = split_sentences([Snippet("Go. Now we are here.", 10.0, 4.0), Snippet("Bye now.", 14.0, 1.0)])
    assert [(s.text, s.start, s.end) for s in sentences] == [
        ("Go.", 10.0, 14.0),
        ("Now we are here.", 10.0 + 4.0 * 4 / 20, 14.0),
        ("Bye now.", 14.0, 15.0),
    ]


def test_start_stays_before_the_next_cue_when_cues_overlap() -> None:
    first = "One two three four five six seven eight. Nine."
    sentences = split_sentences([Snippet(first, 0.0, 10.0), Snippet("Ten. Eleven.", 2.0, 2.0)])
    assert [s.start for s in sentences] == [0.0, 2.0 * 41 / 46, 2.0, 2.0 + 2.0 * 5 / 12]


def test_empty_and_noise_only_input() -> None:
    assert split_sentences([]) == []
    assert split_sentences(cues("[Music]", "♪", "  ")) == []
    with pytest.raises(ValueError):
        split_sentences(cues("a b c."), max_words=0)


def test_word_count_counts_cjk_characters() -> None:
    assert word_count("two words") == 2
    assert word_count("我们 go") == 3


def check_times(transcript: Transcript, sentences: list[Sentence]) -> None:
    """Starts never go back; each start lies inside a snippet, each end is a snippet's end."""
    snippets = sorted(transcript.snippets, key=lambda s: s.start)
    starts = [s.start for s in snippets]
    ends = {round(s.start + s.duration, 6) for s in snippets}
    for before, after in pairwise(sentences):
        assert before.start <= after.start
    for sentence in sentences:
        snippet = snippets[bisect_right(starts, sentence.start) - 1]
        assert snippet.start <= sentence.start <= snippet.start + snippet.duration + 1e-9
        assert round(sentence.end, 6) in ends
        assert sentence.start <= sentence.end


@pytest.mark.parametrize("video_id", AUTO + MANUAL)
def test_real_transcripts_keep_every_word_in_order(video_id: str) -> None:
    transcript = load(video_id)
    sentences = split_sentences(transcript.snippets)
    spoken = " ".join(clean_text(s.text) for s in sorted(transcript.snippets, key=lambda s: s.start))
    assert " ".join(s.text for s in sentences).split() == spoken.split()
    assert all(s.text and 1 <= word_count(s.text) <= 40 for s in sentences)
    assert not any(re.search(r"\[|♪|^[-\u2013]\s", s.text) for s in sentences)
    check_times(transcript, sentences)


@pytest.mark.parametrize("video_id", AUTO)
def test_auto_captions_become_bounded_sentence_like_units(video_id: str) -> None:
    transcript = load(video_id)
    counts = [word_count(s.text) for s in split_sentences(transcript.snippets)]
    assert max(counts) <= 30
    assert min(counts) >= 5
    assert 10 <= statistics.median(counts) <= 30
    assert max(word_count(s.text) for s in split_sentences(transcript.snippets, max_words=12)) <= 12


@pytest.mark.parametrize("video_id", MANUAL)
def test_manual_captions_are_split_at_punctuation(video_id: str) -> None:
    sentences = split_sentences(load(video_id).snippets)
    ended = sum(bool(re.search(r"[.!?…»\"]$", s.text)) for s in sentences)
    assert ended / len(sentences) >= 0.6  # the rest: long sentences cut at max_words
    assert not [s.text for s in sentences if re.search(r"\b[a-zà-ÿ]{3,}[.!?…]\s+[A-ZÀ-Ý]", s.text)]


def test_long_manual_transcript_in_detail() -> None:
    transcript = load("cdiD-9MMpb0")
    sentences = split_sentences(transcript.snippets, max_words=25)
    assert len(sentences) > 2900
    assert max(word_count(s.text) for s in sentences) <= 25
    assert (
        sentences[0].text
        == "I think it's possible that physics has exploits and we should be trying to find them."
    )
    assert sentences[0].start == 0.0 and sentences[0].end == pytest.approx(3.6)
    assert sentences[-1].end == pytest.approx(transcript.duration)
    check_times(transcript, sentences)


@pytest.mark.parametrize("video_id", AUTO)
def test_auto_captions_are_not_cut_right_after_a_function_word(video_id: str) -> None:
    """ "…when the node s", "…can do in": a reader would not stop there. At most 1 unit in 50 does (where
    a long run of function words leaves no better place within the unit's word limit)."""
    transcript = load(video_id)
    units = split_sentences(transcript.snippets, 40, "en")
    dangling = [u for u in units[:-1] if u.text.split()[-1].lower() in FUNCTION_WORDS["en"]]
    assert len(dangling) <= len(units) / 50, [u.text for u in dangling]
    without_language = split_sentences(transcript.snippets, 40)
    assert len([u for u in without_language if u.text.split()[-1].lower() in FUNCTION_WORDS["en"]]) > len(
        dangling
    )  # the language's function words are what keeps cuts away from them


def test_auto_captions_are_cut_before_an_opener_which_starts_a_sentence() -> None:
    said = cues(
        "we looked at the first part of the",
        "problem and it was hard to see",
        "so now we turn to the second part",
        "which is easier to see for most",
    )
    units = split_sentences(said, 12, "en")
    assert [u.text for u in units] == [
        "we looked at the first part of the problem",  # not "… of the" at the cue's end
        "and it was hard to see",
        "so now we turn to the second part",
        "which is easier to see for most",
    ]
    assert [(u.starts, u.ends) for u in units] == [(True, False), (False, True), (True, False), (False, True)]


def test_punctuated_units_know_where_sentences_start_and_end() -> None:
    long = "This sentence goes on and on, with many words that keep coming, far beyond the limit of words."
    units = split_sentences(cues("It starts here.", long, "Short one."), 8)
    assert (units[0].starts, units[0].ends) == (True, True)
    assert units[1].starts and not units[1].ends  # the long sentence, cut
    assert not units[2].starts  # its rest
    assert (units[-1].text, units[-1].starts, units[-1].ends) == ("Short one.", True, True)
