"""Ad windows: sponsor reads and channel plugs found as padded time ranges; a passing mention is not one."""

from __future__ import annotations

from summarizer.ads import PAD_AFTER, PAD_BEFORE, ad_score, ad_windows, in_ad
from summarizer.models import Sentence


def said(*texts: str, start: float = 100.0, step: float = 5.0) -> list[Sentence]:
    return [Sentence(t, start + i * step, start + (i + 1) * step) for i, t in enumerate(texts)]


def test_a_sponsor_read_is_one_padded_window() -> None:
    talk = said("black holes bend light", "and so does a wormhole")
    read = said(
        "this video is sponsored by Skillshare",
        "an online learning community with thousands of classes",
        "the first 1000 people to use the link in the description get a free trial",
        start=300.0,
    )
    [(start, end)] = ad_windows([*talk, *read, *said("back to wormholes", start=340.0)])
    assert start == 300.0 - PAD_BEFORE and end == read[-1].end + PAD_AFTER
    assert in_ad(read[1], [(start, end)]) and not in_ad(talk[0], [(start, end)])


def test_like_and_subscribe_and_patreon_plugs_count() -> None:
    plug = said("if you liked it like and subscribe", "and support the channel on Patreon")
    assert len(ad_windows(plug)) == 1


def test_a_passing_mention_is_not_an_ad() -> None:
    assert ad_windows(said("state sponsors of terrorism were discussed", "a brilliant idea")) == []
    assert ad_score("the description of the model") == 0


def test_two_reads_far_apart_are_two_windows() -> None:
    first = said("thanks to Squarespace for sponsoring", "use code WORM for 10% off", start=10.0)
    second = said("check out our merch", "link in the description", start=900.0)
    assert len(ad_windows([*first, *second])) == 2
