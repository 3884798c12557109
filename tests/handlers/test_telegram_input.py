"""What the Telegram handler reads of an update is bounded by what a Telegram client can send."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handlers.telegram import links_in

LINK = "https://youtu.be/AAAAAAAAAAA"


@given(st.integers(min_value=0, max_value=299))
def test_only_the_first_hundred_entities_are_read(position: int) -> None:
    entities = [{"type": "bold", "offset": 0, "length": 1}] * 300
    entities[position] = {"type": "text_link", "offset": 0, "length": 1, "url": LINK}
    assert links_in({"text": "x", "entities": entities}) == (["AAAAAAAAAAA"] if position < 100 else [])


@given(st.integers(min_value=0, max_value=10_000))
def test_only_the_first_4096_characters_of_a_text_are_read(padding: int) -> None:
    message = {"text": " " * padding + LINK}
    assert links_in(message) == (["AAAAAAAAAAA"] if padding + len(LINK) <= 4096 else [])
