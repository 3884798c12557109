"""Rendering a job for Telegram: escaping, timestamps as links, progress, help texts, splitting at 4096."""

from __future__ import annotations

import re

import pytest

from bot.telegram_render import (
    HELP,
    MAX_LENGTH,
    pack,
    render_error,
    render_final,
    render_progress,
    utf16_len,
)
from core.formats import clock
from summarizer.errors import SummaryError
from summarizer.jobs import Job
from summarizer.models import ChunkSummary, Point, moment_url

VIDEO = "dQw4w9WgXcQ"


def chunk(index: int, texts: list[str], source: str = "extractive") -> ChunkSummary:
    start = index * 300.0
    points = [Point(text, start + 10 * n, moment_url(VIDEO, start + 10 * n)) for n, text in enumerate(texts)]
    return ChunkSummary(index, start, start + 300, points, source)


def job_with(
    points_per_chunk: list[list[str]],
    title: str | None = "A <b>title</b> & more",
    summarizer: str = "extractive",
) -> Job:
    job = Job(VIDEO, ("en",), summarizer=summarizer)
    job.begin(len(points_per_chunk) + 1, "en", title)
    for index, texts in enumerate(points_per_chunk):
        job.add_chunk(chunk(index, texts))
    return job


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59.9, "0:59"), (754, "12:34"), (3723, "1:02:03")]
)
def test_clock(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def test_utf16_length_counts_astral_characters_twice() -> None:
    assert utf16_len("ab") == 2 and utf16_len("📝") == 2 and utf16_len("é") == 1


def test_progress_shows_parts_and_points_so_far_escaped() -> None:
    job = Job(VIDEO, ("en",))
    assert render_progress(job) == f"⏳ Working on <b>{VIDEO}</b>… waiting for my turn"
    job = job_with([["Fish & <chips>", "second"]])
    text = render_progress(job)
    first_line, _, *points = text.splitlines()
    assert first_line == "⏳ Working on <b>A &lt;b&gt;title&lt;/b&gt; &amp; more</b>… 1/2 parts"
    assert points == [
        f'• <a href="https://youtu.be/{VIDEO}?t=0">0:00</a> Fish &amp; &lt;chips&gt;',
        f'• <a href="https://youtu.be/{VIDEO}?t=10">0:10</a> second',
    ]


@pytest.mark.parametrize("summarizer", ["extractive", "llm:m"])  # llm: with the fallback note, a line more
def test_progress_with_too_many_points_keeps_the_newest_within_the_limit(summarizer: str) -> None:
    texts = [[f"point {c}-{n} " + "word " * 39 + "end" for n in range(3)] for c in range(40)]
    job = job_with(texts, summarizer=summarizer)
    job.set_partial(chunk(40, ["being written " + "word " * 39 + "end"], "llm"))
    text = render_progress(job)
    assert utf16_len(text) <= MAX_LENGTH
    lines = text.splitlines()
    head = 2 if summarizer == "extractive" else 3
    assert lines[head] == "…" and lines[-1].endswith("being written " + "word " * 39 + "end")
    assert lines[-2].endswith("point 39-2 " + "word " * 39 + "end")


def test_progress_shows_the_chunk_being_written_after_the_finished_ones() -> None:
    job = job_with([["one"]], summarizer="llm:m")
    job.chunks[0].source = "llm"
    job.set_partial(chunk(1, ["so far <b>"], "llm"))
    assert render_progress(job).splitlines()[2:] == [
        f'• <a href="https://youtu.be/{VIDEO}?t=0">0:00</a> one',
        f'• <a href="https://youtu.be/{VIDEO}?t=300">5:00</a> so far &lt;b&gt;',
    ]


def test_parts_the_model_did_not_write_are_named_in_progress_and_final() -> None:
    job = job_with([["one"], ["two"], ["three"], ["four"], ["five"]], summarizer="llm:m")
    for summary in job.chunks:
        summary.source = "llm"
    assert "without the language model" not in render_progress(job)
    job.chunks[3].source = job.chunks[4].source = "extractive"
    note = "<i>Summarized without the language model (the provider failed): parts 4 and 5.</i>"
    assert render_progress(job).splitlines()[1] == note
    job.finish("TL;DR.", "extractive")
    [text] = render_final(job)
    assert text.splitlines()[4:8] == ["", note.replace("5.", "5, the TL;DR."), "", "<b>Key points</b>"]
    plain = job_with([["one"]])
    plain.finish("TL;DR.")
    assert "language model" not in render_final(plain)[0] + render_progress(plain)


def test_final_has_the_head_then_every_point_linked_to_its_moment() -> None:
    job = job_with([["one", "two"], ["three"]])
    job.finish("It is <short> & sweet.")
    [text] = render_final(job)
    assert text.splitlines()[:6] == [
        f'📝 <a href="https://www.youtube.com/watch?v={VIDEO}">A &lt;b&gt;title&lt;/b&gt; &amp; more</a>',
        "",
        "<b>TL;DR</b>",
        "It is &lt;short&gt; &amp; sweet.",
        "",
        "<b>Key points</b>",
    ]
    assert text.splitlines()[6:] == [
        f'• <a href="https://youtu.be/{VIDEO}?t=0">0:00</a> one',
        f'• <a href="https://youtu.be/{VIDEO}?t=10">0:10</a> two',
        f'• <a href="https://youtu.be/{VIDEO}?t=300">5:00</a> three',
    ]


def test_long_summaries_split_at_4096_without_cutting_a_point() -> None:
    texts = [[f"Point {c}.{n}: " + "läuft & <ok> 😀 " * 30 + "end" for n in range(3)] for c in range(40)]
    job = job_with(texts)
    job.finish("Short TL;DR.")
    messages = render_final(job)
    assert len(messages) > 3
    assert messages[0].startswith("📝") and "<b>TL;DR</b>" in messages[0]
    for message in messages:
        assert utf16_len(message) <= MAX_LENGTH
        assert message.count("<a ") == message.count("</a>")
    found = re.findall(r"Point (\d+\.\d+): ", "\n".join(messages))
    assert found == [f"{c}.{n}" for c in range(40) for n in range(3)]
    points = [line for m in messages for line in m.splitlines() if line.startswith("• ")]
    assert all(line.endswith("😀 end") for line in points)  # every point whole


def test_a_single_overlong_point_is_shortened_not_split() -> None:
    job = job_with([["x & y " * 2000]])
    job.finish("tl;dr")
    messages = render_final(job)
    assert all(utf16_len(m) <= MAX_LENGTH for m in messages)
    assert messages[-1].endswith("…") and "&amp;" in messages[-1]


def test_pack_fills_messages_in_order() -> None:
    assert pack(["aaa", "bbb", "ccc"], limit=7) == ["aaa\nbbb", "ccc"]
    assert pack([], limit=7) == []


@pytest.mark.parametrize("code", [*HELP, "too_long"])
def test_every_failure_reads_as_help(code: str) -> None:
    error = SummaryError(code, "This video is 7.0 h long; up to 6.0 h." if code == "too_long" else None)
    text = render_error(error, VIDEO)
    assert text.startswith("⚠️ Could not summarize this video") and VIDEO in text
    assert (HELP.get(code) or error.message).split(".")[0].replace("&", "&amp;") in text


def test_busy_says_when_to_come_back() -> None:
    assert "try again in ~5 min" in render_error(SummaryError("busy", retry_after=300))
    assert "try again in ~1 min" in render_error(SummaryError("rate_limited", retry_after=20))


def test_a_failed_job_renders_its_error() -> None:
    job = Job(VIDEO, ("en",))
    job.fail(SummaryError("no_transcript"))
    assert render_final(job) == [render_error(SummaryError("no_transcript"), VIDEO)]
