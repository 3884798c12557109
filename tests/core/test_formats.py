"""Language codes as requests, /lang and Discord's `language` option check them: bounded in length."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.formats import MAX_LANGUAGE_CODE_CHARS, byte_size, clip, is_language_code

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


def test_clip_puts_text_on_one_line_and_cuts_it_at_a_word_boundary() -> None:
    assert clip("  short\n text ", 20) == "short text"
    assert clip("one two three four", 12) == "one two…"
    assert clip("one two, three", 10) == "one two…"
    assert clip("unbreakable", 5) == "unbr…"


@given(st.text(), st.integers(min_value=1, max_value=50))
def test_clip_keeps_to_the_limit_and_to_the_text(text: str, limit: int) -> None:
    clipped, one_line = clip(text, limit), " ".join(text.split())
    assert len(clipped) <= limit
    if len(one_line) <= limit:
        assert clipped == one_line
    else:
        assert clipped.endswith("…") and one_line.startswith(clipped[:-1])


def test_byte_size_is_written_as_people_read_it() -> None:
    assert [byte_size(n) for n in (2 * 1024 * 1024, 1536, 900)] == ["2 MB", "1.5 KB", "900 bytes"]
