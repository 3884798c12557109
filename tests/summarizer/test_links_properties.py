"""Properties of link parsing over generated ids, link shapes and arbitrary text (hypothesis)."""

from __future__ import annotations

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
