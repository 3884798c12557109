"""Language codes as requests, /lang and Discord's `language` option check them (bounded in length), and text
clipped for a chat line or an answer."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from core.formats import MAX_LANGUAGE_CODE_CHARS, WORD_CUT_SHARE, byte_size, clip, is_language_code

SUBTAG = st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True)


@given(st.lists(SUBTAG, max_size=40))
def test_a_code_of_at_most_five_subtags_and_35_characters_is_taken(subtags: list[str]) -> None:
    code = "-".join(["pt", *subtags])
    assert is_language_code(code) == (len(subtags) <= 5 and len(code) <= 35)


@given(st.text() | st.from_regex(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", fullmatch=True))
def test_no_code_taken_is_longer_than_the_bound(text: str) -> None:
    if is_language_code(text):
        assert len(text) <= MAX_LANGUAGE_CODE_CHARS


def test_codes_youtube_names_tracks_with_are_taken() -> None:
    for code in ("en", "pt-BR", "zh-Hans", "es-419", "sr-Latn-RS", "fil", "pt-BR-x-k3l5gq2a-ub7d4c1z"):
        assert is_language_code(code)
    assert not is_language_code("en-" + "abcdefgh-" * 45_000 + "x")  # the 408 KB code of issue 17


def test_clip_puts_text_on_one_line_and_cuts_it_at_a_word_boundary_near_the_end() -> None:
    assert clip("  short\n text ", 20) == "short text"
    assert clip("one two three four", 16) == "one two three…"
    assert clip("one two three four", 14) == "one two three…"  # the room ends where a word does
    assert clip("one two, three", 10) == "one two…"
    assert clip("unbreakable", 5) == "unbr…"


def test_clip_cuts_inside_the_word_when_the_last_space_is_far_back() -> None:
    assert clip("答え " + "あ" * 2000, 1000) == "答え " + "あ" * 996 + "…"  # an /ask answer in Japanese
    assert clip("中文没有空格" * 50, 200) == ("中文没有空格" * 50)[:199] + "…"
    assert clip("hello " + "x" * 50, 20) == "hello " + "x" * 13 + "…"  # a long token
    assert clip("see https://example.com/" + "a" * 300, 120).startswith("see https://example.com/aaa")


def test_clip_keeps_a_letter_and_its_combining_marks_together() -> None:
    assert clip("abcde\u0301fg", 6) == "abcd…"  # é as e + U+0301: both go
    assert clip("abcde\u0301\u0302fg", 7) == "abcd…"
    assert clip("abcde\u0301fg", 7) == "abcde\u0301…"


def is_mark(character: str) -> bool:
    return unicodedata.category(character).startswith("M")


@given(st.text(), st.integers(min_value=1, max_value=50))
def test_clip_keeps_to_the_limit_and_to_the_text(text: str, limit: int) -> None:
    clipped, one_line = clip(text, limit), " ".join(text.split())
    assert len(clipped) <= limit
    if len(one_line) <= limit:
        assert clipped == one_line
    else:
        kept = clipped[:-1]
        assert clipped.endswith("…") and one_line.startswith(kept)
        if is_mark(one_line[len(kept)]):  # only a run of marks longer than the room is cut inside
            assert all(is_mark(c) for c in one_line[1 : len(kept) + 1])


WORD = st.text(st.characters(exclude_categories=("Z", "C", "M"), exclude_characters=",;:"), min_size=1)


@given(st.lists(WORD, min_size=1), st.integers(min_value=1, max_value=300))
def test_clip_drops_at_most_the_last_words_share_of_the_room(words: list[str], limit: int) -> None:
    text = " ".join(words)
    if len(text) > limit:
        assert len(clip(text, limit)) - 1 >= (limit - 1) * (1 - WORD_CUT_SHARE)


def test_byte_size_is_written_as_people_read_it() -> None:
    assert [byte_size(n) for n in (2 * 1024 * 1024, 1536, 900)] == ["2 MB", "1.5 KB", "900 bytes"]
