"""Real-world YouTube links, good and bad, through `summarizer.links`."""

from __future__ import annotations

import pytest

from summarizer.errors import MESSAGES, SummaryError
from summarizer.links import MAX_INPUT_CHARS, find_video_ids, parse_video_id, watch_url

VID = "dQw4w9WgXcQ"
ODD = "a-B_c1D2e3F"  # id with '-' and '_'

GOOD: list[tuple[str, str]] = [
    # watch?v=
    (f"https://www.youtube.com/watch?v={VID}", VID),
    (f"http://www.youtube.com/watch?v={VID}", VID),
    (f"https://youtube.com/watch?v={VID}", VID),
    (f"www.youtube.com/watch?v={VID}", VID),
    (f"youtube.com/watch?v={VID}", VID),
    (f"https://m.youtube.com/watch?v={VID}", VID),
    (f"https://music.youtube.com/watch?v={VID}&feature=share", VID),
    (f"https://music.youtube.com/watch?v={VID}&list=RDAMVM{VID}", VID),
    (f"https://www.youtube.com/watch?v={VID}&t=42s", VID),
    (f"https://www.youtube.com/watch?v={VID}&t=1h2m3s&si=AbCdEf12345", VID),
    (f"https://www.youtube.com/watch?t=42&v={VID}", VID),
    (f"https://www.youtube.com/watch?feature=youtu.be&v={VID}", VID),
    (f"https://www.youtube.com/watch?app=desktop&v={VID}&pp=ygUEcmljaw%3D%3D", VID),
    (f"https://www.youtube.com/watch?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=3&v={VID}", VID),
    (f"https://www.youtube.com/watch?v={VID}&list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs&index=2", VID),
    (f"https://www.youtube.com/watch?v={VID}#t=30", VID),
    (f"https://www.youtube.com/watch?v={ODD}", ODD),
    (f"HTTPS://WWW.YOUTUBE.COM/watch?v={VID}", VID),
    (f"https://WwW.YouTube.Com/watch?v={VID}", VID),
    # youtu.be
    (f"https://youtu.be/{VID}", VID),
    (f"http://youtu.be/{VID}", VID),
    (f"youtu.be/{VID}", VID),
    (f"https://youtu.be/{VID}?si=Wn3yT8XwY1p2Q_ab", VID),
    (f"https://youtu.be/{VID}?t=120", VID),
    (f"https://youtu.be/{VID}/", VID),
    (f"https://YOUTU.BE/{VID}", VID),
    (f"https://youtu.be/{ODD}?feature=shared", ODD),
    # path forms
    (f"https://www.youtube.com/shorts/{VID}", VID),
    (f"https://youtube.com/shorts/{VID}?si=abcdEFGH1234", VID),
    (f"https://m.youtube.com/shorts/{VID}/", VID),
    (f"https://www.youtube.com/live/{VID}?feature=share", VID),
    (f"youtube.com/live/{VID}", VID),
    (f"https://www.youtube.com/embed/{VID}", VID),
    (f"https://www.youtube.com/embed/{VID}?start=10&autoplay=1", VID),
    (f"https://www.youtube-nocookie.com/embed/{VID}?rel=0", VID),
    (f"https://youtube-nocookie.com/embed/{VID}", VID),
    (f"https://www.youtube.com/v/{VID}?version=3", VID),
    (f"https://www.youtube.com/e/{VID}", VID),
    # surrounding whitespace, trailing slash, longer text
    (f"   https://www.youtube.com/watch?v={VID}  \n", VID),
    (f"\thttps://youtu.be/{VID}\n", VID),
    (f"Summarize this please: https://youtu.be/{VID} thanks!", VID),
    (f"first https://youtu.be/{VID} then https://youtu.be/{ODD}", VID),
    (f"see (https://www.youtube.com/watch?v={VID}).", VID),
    (f"[video](https://youtu.be/{VID})", VID),
    (f"<https://www.youtube.com/watch?v={VID}>", VID),
    # bare id
    (VID, VID),
    (f"  {ODD}\n", ODD),
]

BAD: list[str] = [
    "",
    "   ",
    "hello world",
    "dQw4w9WgXc",  # 10-char bare id
    "dQw4w9WgXcQQ",  # 12-char bare id
    "https://www.youtube.com/watch?v=dQw4w9WgXc",  # 10 chars
    "https://www.youtube.com/watch?v=dQw4w9WgXcQQ",  # 12 chars
    "https://youtu.be/dQw4w9WgXcQQ",
    "https://www.youtube.com/watch?vv=dQw4w9WgXcQ",
    "https://www.youtube.com/watch?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
    "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
    "https://www.youtube.com/@RickAstleyYT",
    "https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw",
    "https://www.youtube.com/c/RickAstley",
    "https://www.youtube.com/user/RickAstleyVEVO",
    "https://www.youtube.com/",
    "https://www.youtube.com/embed/videoseries?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
    "https://www.youtube.com/embed/live_stream?channel=UCuAXFkgsw1L7xaCfnd5JJOw",
    "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
    "https://www.notyoutube.com/watch?v=dQw4w9WgXcQ",
    "https://youtube.com.evil.com/watch?v=dQw4w9WgXcQ",
    "https://evil.youtube.com/watch?v=dQw4w9WgXcQ",
    "https://evil.com/youtube.com/watch?v=dQw4w9WgXcQ",
    "https://notyoutu.be/dQw4w9WgXcQ",
    "https://youtu.be.evil.com/dQw4w9WgXcQ",
    "https://vimeo.com/76979871",
    "ftp://youtube.com/watch?v=dQw4w9WgXcQ",
    "someone@youtube.com/watch?v=dQw4w9WgXcQ",
    "dQw4w9WgXcQ and more words",
    "x" * 5000,
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ" + " " * MAX_INPUT_CHARS,
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_parse_video_id_accepts(text: str, expected: str) -> None:
    assert parse_video_id(text) == expected


@pytest.mark.parametrize("text", BAD)
def test_parse_video_id_rejects(text: str) -> None:
    with pytest.raises(SummaryError) as info:
        parse_video_id(text)
    assert info.value.code == "invalid_url"
    assert info.value.message == MESSAGES["invalid_url"]


def test_parse_video_id_rejects_non_string() -> None:
    with pytest.raises(SummaryError):
        parse_video_id(None)  # type: ignore[arg-type]


def test_pathological_input_is_rejected() -> None:
    # These shapes blow up a backtracking pattern; the possessive one answers at once
    # (a regression would hang this test rather than fail an assert on time).
    texts = [
        "youtube.com/watch?" + "a&" * 1000,
        "youtube.com/watch?" + "&" * 2000,
        "https://youtube.com/watch?v=" * 70,
    ]
    for text in texts:
        with pytest.raises(SummaryError):
            parse_video_id(text)
        assert find_video_ids(text * 5) == []


def test_find_video_ids_several_in_order() -> None:
    text = (
        f"Watch https://www.youtube.com/watch?v={VID}&t=5 and also\n"
        f"youtu.be/{ODD}?si=xyz, plus https://www.youtube.com/shorts/AAAAAAAAAAA!"
    )
    assert find_video_ids(text) == [VID, ODD, "AAAAAAAAAAA"]


def test_find_video_ids_deduplicates() -> None:
    text = (
        f"https://youtu.be/{VID} https://www.youtube.com/watch?v={VID} https://youtu.be/{ODD} youtu.be/{VID}"
    )
    assert find_video_ids(text) == [VID, ODD]


def test_find_video_ids_limit() -> None:
    text = f"youtu.be/{VID} youtu.be/{ODD} youtu.be/AAAAAAAAAAA youtu.be/{VID}"
    assert find_video_ids(text, limit=2) == [VID, ODD]
    assert find_video_ids(text, limit=1) == [VID]
    assert find_video_ids(text, limit=10) == [VID, ODD, "AAAAAAAAAAA"]
    assert find_video_ids(text, limit=0) == []


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no links here",
        "check https://vimeo.com/76979871 or https://example.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/@RickAstleyYT and https://www.youtube.com/playlist?list=PL123",
        "https://youtube.com.evil.com/watch?v=dQw4w9WgXcQ",
    ],
)
def test_find_video_ids_without_links(text: str) -> None:
    assert find_video_ids(text) == []


def test_find_video_ids_ignores_bare_words() -> None:
    # "programming" and the id itself are 11 characters but are not links.
    assert find_video_ids(f"I love programming {VID} documentary") == []
    assert find_video_ids(f"programming https://youtu.be/{ODD}") == [ODD]


def test_watch_url_round_trips() -> None:
    assert watch_url(VID) == f"https://www.youtube.com/watch?v={VID}"
    assert parse_video_id(watch_url(ODD)) == ODD
