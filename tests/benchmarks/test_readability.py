"""benchmarks/readability.py: its figures count what they claim (hand-made jobs), and a real run works."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks.readability import (
    WINDOWS,
    Meta,
    Window,
    comparison,
    ends_on_function_word,
    main,
    measure_job,
    stutters,
    tldr_items,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "transcripts"
META = Meta("9P6rdqiybaw", "en", auto=True, seconds=554.0, words=1361)


def point(text: str, start: float = 0.0) -> dict[str, Any]:
    return {"text": text, "start": start, "url": f"https://youtu.be/x?t={int(start)}"}


def job(points: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "language_code": "en",
        "chunks": [{"index": 0, "start": 0.0, "end": 554.0, "points": points}],
        **fields,
    }


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("we should be trying to find the", "en", True),
        ("…the cosmic strings job for man-made wormholes we need a new ingredient, the…", "en", True),
        ('he said "and"', "en", True),
        ("the embedding of the node s", "en", True),  # a broken ASR token
        ("and it's a", "en", True),
        ("this is called a white hole", "en", False),
        ("I think so.", "en", False),
        ("and so on…", "en", False),
        ("what I", "en", True),  # lone "I" is no broken token, but a subject pronoun
        ("c'est ce que nous allons faire avec les", "fr", True),
        ("on applique la Constitution.", "fr", False),
        ("Es hängt von der neuen Verfassung ab…", "de", False),  # a separable particle ends German clauses
        ("weil wir das machen können", "de", False),  # and so do auxiliaries
        ("die einen alles haben und", "de", True),
        ("", "en", False),
    ],
)
def test_function_word_ends(text: str, language: str, expected: bool) -> None:
    assert ends_on_function_word(text, language) is expected


def test_stutters() -> None:
    assert stutters("big challenge for for the education industry", "en") == ["for for"]
    assert stutters("the, the role of the", "en") == ["the the"]
    assert stutters("of the of the world", "en") == ["of the of the"]
    assert stutters("of course he did of course he did yeah", "en") == ["of course he did of course he did"]
    assert stutters("so uh we learn", "en") == ["uh"]
    for fine in ("she had had enough", "very very subtle", "no no no", "bye bye", "so so"):
        assert stutters(fine, "en") == [], fine
    assert stutters("um zu zeigen, dass die die Arbeit machen", "de") == []
    assert stutters("nous nous sommes trompés, euh", "fr") == ["euh"]


def test_a_hand_made_job_counts_each_figure() -> None:
    sponsor = WINDOWS["9P6rdqiybaw"][0]
    points = [
        point("so to travel the cosmos humans need the", 216.3),  # ends on "the"
        point("…for for very old string theory wormholes…", 353.4),  # a stutter, starts and ends with "…"
        point("visit brilliant.org nutshell and sign up for free today", sponsor.start + 30),
    ]
    tldr = [points[0], point("in a nutshell brilliant helps you to get ahead", sponsor.start + 20)]
    figures = measure_job(job(points, tldr_points=tldr, topics=["wormholes"]), META, WINDOWS["9P6rdqiybaw"])
    assert (figures.points, figures.function_end, figures.stutter) == (3, 1, 1)
    assert (figures.lead_ellipsis, figures.trail_ellipsis) == (1, 1)
    assert (figures.points_sponsor, figures.tldr, figures.tldr_sponsor, figures.tldr_function_end) == (
        1,
        2,
        1,
        1,
    )
    assert figures.topics == ["wormholes"] and figures.titles is None
    assert figures.flagged["function-word end"] == [points[0]["text"]]


def test_a_point_is_in_a_window_by_its_start_or_most_of_its_span() -> None:
    window = Window(100.0, 110.0, "sponsor", "")
    meta = Meta("x", "en", auto=True, seconds=100.0, words=100)  # a word a second
    ten_words = " ".join(["word"] * 10)
    inside = [point(ten_words, 95.0), point(ten_words, 105.0)]  # 5 of 10 s in: not most; the start is in
    outside = [point(ten_words, 94.0), point(ten_words, 110.0)]
    assert measure_job(job([*inside, *outside]), meta, [window]).points_sponsor == 1 + 0
    assert measure_job(job([point(ten_words, 96.0)]), meta, [window]).points_sponsor == 1  # 6 of 10 s in


def test_old_versions_tldr_items_are_the_points_it_quotes() -> None:
    points = [point("first point here"), point("second point"), point("third point")]
    old = job(points, tldr="first point here third point")
    assert [p["text"] for p in tldr_items(old)] == ["first point here", "third point"]
    figures = measure_job(old, META)
    assert figures.tldr == 2 and figures.topics is None and figures.titles is None


def test_a_real_run_reports_and_compares(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "run.json"
    assert main(["--only", "--7Dd2sAwPA", "--data", str(DATA), "--json", str(raw)]) == 0
    out = capsys.readouterr().out
    assert "| --7Dd2sAwPA | en | auto | " in out and "### TL;DR, ad windows, topics, CPU" in out
    (video,) = json.loads(raw.read_text(encoding="utf-8"))["videos"]
    assert video["points"] >= 1 and video["tldr"] >= 1 and video["cpu"] > 0 and video["words"] > 0
    assert main(["--compare", str(raw), str(raw)]) == 0
    assert "| points ending on a function word | ≤ 5 % |" in capsys.readouterr().out

    rows = [measure_job(job([point("and the")]), META)]
    assert "| 1/1 (100 %) | 1/1 (100 %) |" in comparison(rows, rows)
