"""Properties of link parsing over generated ids, link shapes and arbitrary text (hypothesis)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from summarizer.errors import SummaryError
from summarizer.links import find_video_ids, parse_video_id

IDS = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=11, max_size=11
)
SHAPES = st.sampled_from(
    [
        "https://www.youtube.com/watch?v={id}",
        "https://m.youtube.com/watch?feature=share&v={id}&t=42s",
        "youtube.com/watch?v={id}&list=PL123&index=2",
        "https://music.youtube.com/watch?v={id}&si=abc",
        "https://youtu.be/{id}?si=XyZ&t=7",
        "http://youtu.be/{id}",
        "https://www.youtube.com/shorts/{id}",
        "https://youtube.com/live/{id}?feature=share",
        "https://www.youtube-nocookie.com/embed/{id}?start=3",
        "https://www.youtube.com/v/{id}",
    ]
)
WORDS = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


@given(IDS, SHAPES, WORDS, WORDS)
def test_every_shape_gives_back_its_id_even_inside_text(
    video_id: str, shape: str, before: str, after: str
) -> None:
    link = shape.format(id=video_id)
    assert parse_video_id(link) == video_id
    assert parse_video_id(f"look: {link} !") == video_id
    assert video_id in find_video_ids(f"{before} {link} {after}")


@given(st.text(max_size=300))
def test_arbitrary_text_gives_an_id_or_invalid_url_and_nothing_else(text: str) -> None:
    try:
        video_id = parse_video_id(text)
    except SummaryError as error:
        assert error.code == "invalid_url"
    else:
        assert len(video_id) == 11
    assert all(len(found) == 11 for found in find_video_ids(text))


# The one-pattern finder links.py had before issue 17 (quadratic on long queries): the reference for what
# a link is, which the linear finder must agree with on every text.
_ID = r"[A-Za-z0-9_-]{11}(?![A-Za-z0-9_-])"
REFERENCE = re.compile(
    r"(?<![\w.@/-])(?i:https?://)?(?:(?i:(?:(?:www|m|music)\.)?youtube\.com|(?:www\.)?youtube-nocookie\.com)"
    r"(?:/watch/?\?(?:[^\s#&]*+&)*?v=(?P<watch>" + _ID + r")|/(?:shorts|live|embed|v|e)/"
    r"(?!(?:videoseries|live_stream)(?![A-Za-z0-9_-]))(?P<path>"
    + _ID
    + r"))|(?i:youtu\.be)/(?P<short>"
    + _ID
    + r"))"
)
PIECES = st.sampled_from(
    [
        "https://", "www.", "youtube.com", "YouTube.com/watch?", "youtube.com/watch/?", "youtu.be/", "/shorts/",
        "/embed/", "videoseries", "v=", "&", "&v=", "?", "=", "#", " ", "\n", ".", "/", "x=1", "a",
        "AAAAAAAAAAA", "BBBBBBBBBBB", "Ccccccccc_-",
    ]
)  # fmt: skip


@given(st.lists(PIECES, max_size=40))
def test_the_linear_finder_finds_what_the_one_pattern_finder_found(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = list(dict.fromkeys(m["watch"] or m["path"] or m["short"] for m in REFERENCE.finditer(text)))
    assert find_video_ids(text) == expected


@pytest.mark.parametrize("unit", ["www.youtube.com/watch?v=", "youtube.com/watch?a&", "youtube.com/watch?"])
def test_a_long_text_of_link_starts_is_read_in_linear_time(unit: str) -> None:
    # 480 KB took the one-pattern finder 37 s of CPU; linear, it takes ~20 ms. The bound is 50x that.
    text = unit * (480_000 // len(unit))
    started = time.process_time()
    assert find_video_ids(text) == []
    assert time.process_time() - started < 1.0
