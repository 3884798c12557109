"""Rendering jobs for Discord: Discord's size limits hold, no point is cut, nothing can ping or link."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.discord_render import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    TITLE_MAX,
    escape,
    failure_text,
    point_line,
    progress_message,
    summary_messages,
)
from bot.fallback import fallback_note
from core.config import Settings
from core.formats import clock
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.models import ChunkSummary, Point, moment_url
from tests.support.data import LONG, TRANSCRIPTS

LINK = re.compile(r"\[(\d+(?::\d\d)+)\]\((https://youtu\.be/[\w-]{11}\?t=\d+)\)")


async def summarized(video_id: str) -> Job:
    engine = Engine.from_settings(Settings(transcript_dir=str(TRANSCRIPTS)), InlineRunner())
    await engine.start()
    try:
        job, _ = await engine.submit(video_id)
        async for current in job.changes():
            assert current is not None
        return job
    finally:
        await engine.stop()


def hostile_job(points: int, text_chars: int) -> Job:
    """A finished job whose title and text try every trick: mentions, masked links, markdown."""
    video_id = "dQw4w9WgXcQ"
    evil = "@everyone [click](https://evil.example) **bold** `code` <@123> ||spoiler|| "
    job = Job(video_id, ("en",))
    job.begin(points, "en", "@everyone " + "T" * 400)
    for i in range(points):
        text = (evil + f"point {i} " + "word " * text_chars)[:text_chars]
        job.add_chunk(
            ChunkSummary(i, i * 60.0, i * 60.0 + 60, [Point(text, i * 60.0, moment_url(video_id, i * 60))])
        )
    job.finish(evil * 10)
    return job


def check_limits(message: dict[str, Any]) -> None:
    assert message["allowed_mentions"] == {"parse": []}
    assert len(message["content"]) <= CONTENT_MAX
    total = 0
    for embed in message["embeds"]:
        assert len(embed["title"]) <= TITLE_MAX
        assert 0 < len(embed["description"]) <= DESCRIPTION_MAX
        total += (
            len(embed["title"]) + len(embed["description"]) + len(embed.get("footer", {}).get("text", ""))
        )
    assert total <= EMBED_TOTAL_MAX


def point_lines(messages: list[dict[str, Any]]) -> list[str]:
    lines = [line for m in messages for e in m["embeds"] for line in e["description"].split("\n")]
    return [line for line in lines if LINK.match(line)]


async def test_a_long_video_overflows_into_follow_ups_between_points() -> None:
    job = await summarized(LONG)
    messages = summary_messages(job)
    assert len(messages) > 2
    for message in messages:
        check_limits(message)
    first = messages[0]["embeds"][0]
    assert first["title"] == job.title and first["url"] == f"https://www.youtube.com/watch?v={LONG}"
    assert first["description"].startswith("**TL;DR** ")
    assert [e["footer"]["text"] for m in messages for e in m["embeds"]] == [
        f"Part {n} of {len(messages)}" for n in range(1, len(messages) + 1)
    ]
    # Every point appears once, whole and in order, as a link to its moment.
    assert point_lines(messages) == [point_line(p) for p in job.points]
    for line, point in zip(point_lines(messages), job.points, strict=True):
        match = LINK.match(line)
        assert match is not None
        stamp, url = match.groups()
        assert (stamp, url) == (clock(point.start), f"https://youtu.be/{LONG}?t={int(point.start)}")
        assert line.endswith(escape(point.text))


@pytest.mark.parametrize(("points", "text_chars"), [(1, 10), (40, 300), (300, 800), (5, 5000)])
def test_limits_hold_for_hostile_text(points: int, text_chars: int) -> None:
    job = hostile_job(points, text_chars)
    messages = summary_messages(job)
    for message in messages:
        check_limits(message)
        for embed in message["embeds"]:
            # The only links are ours: every "](" belongs to a timestamp link at a line start.
            for line in embed["description"].split("\n"):
                assert line.count("](") == (1 if LINK.match(line) else 0)
            assert "@everyone [click]" not in embed["description"]
    assert len(point_lines(messages)) == points
    check_limits(progress_message(job))


def test_progress_shows_the_status_and_the_points_so_far() -> None:
    job = Job("dQw4w9WgXcQ", ("en",))
    assert progress_message(job)["content"].startswith("Queued: dQw4w9WgXcQ")
    job.mark_running()
    assert "fetching the captions" in progress_message(job)["content"]
    job.begin(12, "en", "A *title*")
    point = Point("First point.", 754.0, moment_url(job.video_id, 754))
    job.add_chunk(ChunkSummary(0, 0.0, 300.0, [point]))
    message = progress_message(job)
    assert message["content"] == "Working on A \\*title\\*… 1/12 parts"
    assert message["embeds"][0]["description"] == "[12:34](https://youtu.be/dQw4w9WgXcQ?t=754) First point."
    assert message["allowed_mentions"] == {"parse": []}

    many = hostile_job(300, 800)  # a progress message never overflows: it says how many are not shown
    many.status = job.status
    description = progress_message(many)["embeds"][0]["description"]
    assert len(description) <= DESCRIPTION_MAX and re.search(r"… and \d+ more so far$", description)


def test_failures_read_well_and_busy_says_when() -> None:
    busy = failure_text(SummaryError("busy", retry_after=30), now=1_000_000)
    assert busy.endswith("<t:1000030:R>.")
    assert "youtu.be" in failure_text(SummaryError("invalid_url"))
    too_long = SummaryError("too_long", "This video is 7.0 h long; up to 6.0 h.")
    assert failure_text(too_long) == too_long.message
    for code in ("no_transcript", "transcripts_disabled", "video_unavailable", "age_restricted", "blocked"):
        assert "WEBSHARE" not in failure_text(SummaryError(code))
    failed = Job("dQw4w9WgXcQ", ("en",))
    failed.fail(SummaryError("no_transcript"))
    [message] = summary_messages(failed)
    assert message["content"].startswith("Couldn't summarize <https://www.youtube.com/watch?v=dQw4w9WgXcQ>: ")


def test_clock_and_escape() -> None:
    assert (clock(0), clock(754.9), clock(3725)) == ("0:00", "12:34", "1:02:05")
    assert escape("a  [b](c)\n*d*") == "a \\[b\\]\\(c\\) \\*d\\*"


def llm_job(sources: str, tldr_source: str | None = None) -> Job:
    """An LLM job with a chunk per letter of `sources` (l: the model wrote it, e: extractive fallback)."""
    job = Job("dQw4w9WgXcQ", ("en",), summarizer="llm:m")
    job.begin(len(sources), "en", "A title")
    for i, letter in enumerate(sources):
        point = Point(f"Point {i}.", i * 60.0, moment_url(job.video_id, i * 60))
        job.add_chunk(
            ChunkSummary(i, i * 60.0, i * 60.0 + 60, [point], "llm" if letter == "l" else "extractive")
        )
    if tldr_source:
        job.finish("The TL;DR.", tldr_source)
    return job


@pytest.mark.parametrize(
    ("sources", "tldr_source", "said"),
    [
        ("llll", "llm", None),
        ("lell", None, "part 2"),
        ("elle", "llm", "parts 1 and 4"),
        ("eeel", "extractive", "parts 1, 2 and 3, the TL;DR"),
        ("eeee", "extractive", "all parts, the TL;DR"),
        ("eeeeeellll", None, "6 of 10 parts"),
        ("llll", "extractive", "the TL;DR"),
    ],
)
def test_the_fallback_note_names_what_the_model_did_not_write(
    sources: str, tldr_source: str | None, said: str | None
) -> None:
    expected = said and f"Summarized without the language model (the provider failed): {said}."
    assert fallback_note(llm_job(sources, tldr_source)) == expected


def test_progress_and_summary_say_which_parts_fell_back() -> None:
    job = llm_job("lel")
    job.total = 4
    point = Point("Being written.", 190.0, moment_url(job.video_id, 190))
    job.set_partial(ChunkSummary(3, 180.0, 240.0, [point], "llm"))
    message = progress_message(job)
    note = "*Summarized without the language model \\(the provider failed\\): part 2.*"
    assert message["content"].split("\n") == ["Working on A title… 3/4 parts", note]
    assert message["embeds"][0]["description"].split("\n")[-2:] == [
        "[2:00](https://youtu.be/dQw4w9WgXcQ?t=120) Point 2.",
        "[3:10](https://youtu.be/dQw4w9WgXcQ?t=190) Being written.",
    ]
    assert job.partial is not None
    job.add_chunk(job.partial)
    job.finish("The TL;DR.", "llm")
    [summary] = summary_messages(job)
    assert summary["embeds"][0]["description"].split("\n")[:5] == [
        "**TL;DR** The TL;DR.",
        "",
        note,
        "",
        "**Key points**",
    ]
    assert "language model" not in str(progress_message(llm_job("ll"))) + str(
        summary_messages(hostile_job(3, 10))
    )


def test_limits_hold_with_the_note_and_a_partial_chunk() -> None:
    job = hostile_job(300, 800)
    job.summarizer = "llm:m"  # every part extractive: the note says so
    messages = summary_messages(job)
    assert "without the language model" in messages[0]["embeds"][0]["description"]
    for message in messages:
        check_limits(message)
    assert len(point_lines(messages)) == 300
    job.status = JobStatus.RUNNING
    job.set_partial(job.chunks[-1])
    progress = progress_message(job)
    check_limits(progress)
    assert "without the language model" in progress["content"]
