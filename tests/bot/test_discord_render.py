"""Rendering jobs for Discord: the summary as a table of contents (topics and TL;DR in the description, one
field per chapter), Discord's size limits hold, no chapter or point is cut, nothing can ping or link."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from bot.discord_render import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    TITLE_MAX,
    embeds_size,
    escape,
    failure_text,
    point_line,
    progress_message,
    summary_messages,
)
from bot.fallback import fallback_note
from bot.render_parts import utf16_len
from core.formats import clock
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.models import ChunkSummary, Point, moment_url
from tests.support.data import LONG, MEDIUM
from tests.support.summaries import summarized

LINK = re.compile(r"\[(\d+(?::\d\d)+)\]\((https://youtu\.be/[\w-]{11}\?t=(\d+))\) ")
DASH = "\u2013"  # between the start and end of a chapter
VIDEO = "dQw4w9WgXcQ"


def hostile_job(points: int, text_chars: int, per_chunk: int = 1) -> Job:
    """A finished job whose title and texts try every trick: mentions, masked links, markdown."""
    evil = "@everyone [click](https://evil.example) **bold** `code` <@123> ||spoiler|| "
    job = Job(VIDEO, ("en",))
    chunks = -(-points // per_chunk)
    job.begin(chunks, "en", "@everyone " + "T" * 400, [evil] * 8)
    for c in range(chunks):
        texts = [(evil + f"point {i} " + "word " * text_chars)[:text_chars] for i in range(points)]
        starts = range(c * per_chunk, min(points, (c + 1) * per_chunk))
        summary = [Point(texts[i], i * 60.0, moment_url(VIDEO, i * 60)) for i in starts]
        job.add_chunk(ChunkSummary(c, summary[0].start, summary[-1].start + 60, summary, title=evil))
    job.finish([Point(evil * 10, 7.0, moment_url(VIDEO, 7))] * 5)
    return job


def check_limits(message: dict[str, Any]) -> None:
    """Every limit of Discord's for one message."""
    assert message["allowed_mentions"] == {"parse": []}
    assert utf16_len(message["content"]) <= CONTENT_MAX
    assert len(message["embeds"]) <= EMBEDS_MAX
    for embed in message["embeds"]:
        assert utf16_len(embed.get("title", "")) <= TITLE_MAX
        assert utf16_len(embed.get("description", "")) <= DESCRIPTION_MAX
        assert len(embed.get("fields", [])) <= FIELDS_MAX
        for field in embed.get("fields", []):
            assert (
                0 < utf16_len(field["name"]) <= FIELD_NAME_MAX
                and 0 < utf16_len(field["value"]) <= FIELD_VALUE_MAX
            )
        assert embed.get("title") or embed.get("description") or embed.get("fields")
    assert embeds_size(message) <= EMBED_TOTAL_MAX


def fields_of(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [field for m in messages for e in m["embeds"] for field in e.get("fields", [])]


def linked_lines(text: str) -> list[re.Match[str]]:
    """The lines of `text` that are ours: a link to a moment at the start."""
    return [match for line in text.split("\n") if (match := LINK.match(line))]


def test_sizes_are_counted_in_utf16_units() -> None:
    assert utf16_len("ab") == 2 and utf16_len("😀") == 2
    message = {
        "embeds": [
            {
                "title": "ab",
                "description": "c",
                "fields": [{"name": "d", "value": "ef"}],
                "footer": {"text": "g"},
            },
            {"fields": [{"name": "😀", "value": "h"}], "author": {"name": "ij"}},
        ]
    }
    assert embeds_size(message) == 2 + 1 + 3 + 1 + 3 + 2


# --- the final summary -----------------------------------------------------------------------------------


async def test_the_lecture_is_one_embed_with_a_field_per_chapter() -> None:
    job = await summarized(MEDIUM)
    [message] = summary_messages(job)
    check_limits(message)
    [embed] = message["embeds"]
    assert embed["title"] == job.title and embed["url"] == f"https://www.youtube.com/watch?v={MEDIUM}"
    assert "footer" not in embed and message["content"] == ""
    topics, tldr = embed["description"].split("\n\n")
    assert topics == f"*{escape(' · '.join(job.topics))}*"
    assert tldr.split("\n") == ["**TL;DR**", *(point_line(p) for p in job.tldr_points)]
    assert [field["name"] for field in embed["fields"]] == [
        f"{escape(c.title or '')} ({clock(c.start)}{DASH}{clock(c.end)})" for c in job.chunks
    ]
    for field, chunk in zip(embed["fields"], job.chunks, strict=True):
        assert field["value"].split("\n") == [point_line(p) for p in chunk.points]
        links = linked_lines(field["value"])
        assert [(m[1], int(m[3])) for m in links] == [(clock(p.start), int(p.start)) for p in chunk.points]


async def test_the_podcast_overflows_into_follow_ups_between_chapters() -> None:
    job = await summarized(LONG)
    messages = summary_messages(job)
    assert len(messages) > 2
    for message in messages:
        check_limits(message)
    first = messages[0]["embeds"][0]
    assert first["title"] == job.title and first["url"] == f"https://www.youtube.com/watch?v={LONG}"
    assert "**TL;DR**" in first["description"]
    assert [e["footer"]["text"] for m in messages for e in m["embeds"]] == [
        f"Part {n} of {len(messages)}" for n in range(1, len(messages) + 1)
    ]
    assert all(m["embeds"][0]["title"] == job.title for m in messages)
    # Every chapter is one field, in order, with every point once, whole, as a link to its moment.
    fields = fields_of(messages)
    assert [f["name"].rsplit(" (", 1)[0] for f in fields] == [escape(c.title or "") for c in job.chunks]
    assert [f["value"] for f in fields] == ["\n".join(map(point_line, c.points)) for c in job.chunks]
    links = [m for f in fields for m in linked_lines(f["value"])]
    assert [m[2] for m in links] == [f"https://youtu.be/{LONG}?t={int(p.start)}" for p in job.points]
    assert len(links) == 132
    # A chapter goes to the next message only when it does not fit in the one before.
    for before, after in itertools.pairwise(messages):
        field = after["embeds"][0]["fields"][0]
        assert (
            embeds_size(before) + utf16_len(field["name"]) + utf16_len(field["value"]) > EMBED_TOTAL_MAX - 15
        )


@pytest.mark.parametrize(
    ("points", "text_chars", "per_chunk"),
    [(1, 10, 1), (40, 300, 3), (300, 800, 1), (5, 5000, 5), (90, 60, 90)],
)
def test_limits_hold_for_hostile_text(points: int, text_chars: int, per_chunk: int) -> None:
    job = hostile_job(points, text_chars, per_chunk)
    messages = summary_messages(job)
    for message in messages:
        check_limits(message)
        for embed in message["embeds"]:
            texts = [embed.get("description", ""), *(f["value"] for f in embed.get("fields", []))]
            for text in texts:
                # The only links are ours: every "](" belongs to a timestamp link at a line start.
                for line in text.split("\n"):
                    assert line.count("](") == (1 if LINK.match(line) else 0)
                assert "@everyone [click]" not in text
            for field in embed.get("fields", []):
                assert "](" not in field["name"] and "@everyone [click]" not in field["name"]
    lines = [m for f in fields_of(messages) for m in linked_lines(f["value"])]
    assert [int(m[3]) for m in lines] == [int(p.start) for p in job.points]
    check_limits(progress_message(job))


def test_a_chapter_longer_than_a_field_continues_in_the_next() -> None:
    job = hostile_job(5, 900, per_chunk=5)
    names = [f["name"] for f in fields_of(summary_messages(job))]
    assert len(names) == 5 and names[0].endswith(f"(0:00{DASH}5:00)")
    assert all(name.endswith(f"(0:00{DASH}5:00, continued)") for name in names[1:])


def test_a_summary_cached_before_tldr_points_shows_its_tldr_paragraph() -> None:
    job = Job(VIDEO, ("en",))
    job.begin(1, "en", None)
    job.add_chunk(ChunkSummary(0, 0.0, 60.0, [Point("One.", 1.0, moment_url(VIDEO, 1))]))
    job.finish([])
    job.tldr = "An *old* TL;DR."
    [message] = summary_messages(job)
    embed = message["embeds"][0]
    assert embed["title"] == VIDEO and embed["description"] == "**TL;DR** An \\*old\\* TL;DR."
    assert embed["fields"] == [{"name": f"Part 1 (0:00{DASH}1:00)", "value": point_line(job.points[0])}]


def test_no_points_says_so() -> None:
    job = Job(VIDEO, ("en",))
    job.begin(1, "en", "A title")
    job.add_chunk(ChunkSummary(0, 0.0, 60.0, []))
    job.finish([])
    [message] = summary_messages(job)
    check_limits(message)
    assert message["embeds"][0]["description"] == "No key points were found in this video's captions."


# --- progress --------------------------------------------------------------------------------------------


def test_progress_shows_the_status_topics_and_the_chapters_so_far() -> None:
    job = Job(VIDEO, ("en",))
    assert progress_message(job)["content"].startswith(f"Queued: {VIDEO}")
    job.mark_running()
    assert "fetching the captions" in progress_message(job)["content"]
    job.begin(12, "en", "A *title*", ["fish", "chips"])
    message = progress_message(job)
    assert message["content"] == "Working on A \\*title\\*… 0/12 parts"
    assert message["embeds"][0]["description"] == "*fish · chips*"
    point = Point("First point.", 754.0, moment_url(job.video_id, 754))
    job.add_chunk(ChunkSummary(0, 0.0, 300.0, [point], title="big *fish*"))
    message = progress_message(job)
    assert message["content"] == "Working on A \\*title\\*… 1/12 parts"
    assert message["embeds"][0]["description"] == (
        f"*fish · chips*\n\n[0:00{DASH}5:00](https://youtu.be/dQw4w9WgXcQ?t=0) big \\*fish\\*"
    )
    assert message["allowed_mentions"] == {"parse": []}

    many = hostile_job(300, 800)  # a progress message never overflows: it says how many are not shown
    many.status = job.status
    description = progress_message(many)["embeds"][0]["description"]
    assert utf16_len(description) <= DESCRIPTION_MAX and re.search(r"… and \d+ more so far$", description)


def test_failures_read_well_and_busy_says_when() -> None:
    busy = failure_text(SummaryError("busy", retry_after=30), now=1_000_000)
    assert busy.endswith("<t:1000030:R>.")
    assert "youtu.be" in failure_text(SummaryError("invalid_url"))
    too_long = SummaryError("too_long", "This video is 7.0 h long; up to 6.0 h.")
    assert failure_text(too_long) == too_long.message
    for code in ("no_transcript", "transcripts_disabled", "video_unavailable", "age_restricted", "blocked"):
        assert "WEBSHARE" not in failure_text(SummaryError(code))
    failed = Job(VIDEO, ("en",))
    failed.fail(SummaryError("no_transcript"))
    [message] = summary_messages(failed)
    assert message["content"].startswith("Couldn't summarize <https://www.youtube.com/watch?v=dQw4w9WgXcQ>: ")


def test_clock_and_escape() -> None:
    assert (clock(0), clock(754.9), clock(3725)) == ("0:00", "12:34", "1:02:05")
    assert escape("a  [b](c)\n*d*") == "a \\[b\\]\\(c\\) \\*d\\*"


def llm_job(sources: str, tldr_source: str | None = None) -> Job:
    """An LLM job with a chunk per letter of `sources` (l: the model wrote it, e: extractive fallback)."""
    job = Job(VIDEO, ("en",), summarizer="llm:m")
    job.begin(len(sources), "en", "A title")
    for i, letter in enumerate(sources):
        point = Point(f"Point {i}.", i * 60.0, moment_url(job.video_id, i * 60))
        job.add_chunk(
            ChunkSummary(i, i * 60.0, i * 60.0 + 60, [point], "llm" if letter == "l" else "extractive")
        )
    if tldr_source:
        job.finish([Point("The TL;DR.", 0.0, moment_url(job.video_id, 0))], tldr_source)
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
        f"[2:00{DASH}3:00](https://youtu.be/dQw4w9WgXcQ?t=120) Part 3",
        f"[3:00{DASH}4:00](https://youtu.be/dQw4w9WgXcQ?t=180) Part 4 *writing…*",
    ]
    assert job.partial is not None
    job.add_chunk(job.partial)
    job.finish([Point("The TL;DR.", 0.0, moment_url(job.video_id, 0))], "llm")
    [summary] = summary_messages(job)
    assert summary["embeds"][0]["description"].split("\n") == [
        "**TL;DR**",
        "[0:00](https://youtu.be/dQw4w9WgXcQ?t=0) The TL;DR.",
        "",
        note,
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
    assert len([m for f in fields_of(messages) for m in linked_lines(f["value"])]) == 300
    job.status = JobStatus.RUNNING
    job.set_partial(job.chunks[-1])
    progress = progress_message(job)
    check_limits(progress)
    assert "without the language model" in progress["content"]
