"""Rendering a job for Telegram: the summary as a table of contents (title, topics, TL;DR, chapters with
their points in expandable blockquotes), split at 4096 characters after entity parsing and 100 entities,
chapters never cut; escaping, progress, help texts."""

from __future__ import annotations

import html
import math
import re
from html.parser import HTMLParser

import pytest

from bot.render_parts import utf16_len
from bot.telegram_render import (
    HELP,
    MAX_ENTITIES,
    MAX_LENGTH,
    chapter_heading,
    entity_count,
    fits,
    pack,
    parsed_len,
    render_error,
    render_final,
    render_progress,
)
from core.formats import clock
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.models import ChunkSummary, Point, moment_url
from tests.support.data import LONG, MEDIUM, SHORT
from tests.support.summaries import summarized

VIDEO = "dQw4w9WgXcQ"
DASH = "\u2013"  # between the start and end of a chapter

# A chapter as render_final writes it: the heading (title, time range linked to its start), then its
# points in an expandable blockquote.
CHAPTER = re.compile(
    r'<b>(?P<title>[^<]*)</b> \(<a href="(?P<url>[^"]+)">(?P<span>[^<]+)</a>(?P<continued>, continued)?\)'
    r"(?:\n<blockquote expandable>(?P<points>.*?)</blockquote>)?",
    re.DOTALL,
)
POINT = re.compile(r'^• <a href="(?P<url>[^"]+)">(?P<clock>[^<]+)</a> (?P<text>.*)$', re.MULTILINE)


class TelegramHTML(HTMLParser):
    """Reads a message as Telegram's HTML parse mode would: only its tags, properly nested, a blockquote
    never inside another; the text what is left, entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.entities = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ("a", "b", "i", "blockquote"), tag
        if tag == "a":
            assert [name for name, _ in attrs] == ["href"]
        if tag == "blockquote":
            assert attrs == [("expandable", None)] and "blockquote" not in self.stack
        self.stack.append(tag)
        self.entities += 1

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_message(message: str) -> str:
    """Every tag of `message` closed in it, within Telegram's limits; its text after entity parsing."""
    parser = TelegramHTML()
    parser.feed(message)
    parser.close()
    assert parser.stack == []
    text = "".join(parser.text)
    assert parsed_len(message) == utf16_len(text) <= MAX_LENGTH
    assert entity_count(message) == parser.entities <= MAX_ENTITIES
    return text


def seconds(url: str, video_id: str) -> int:
    prefix = f"https://youtu.be/{video_id}?t="
    assert url.startswith(prefix)
    return int(url.removeprefix(prefix))


def chunk(index: int, texts: list[str], source: str = "extractive", title: str | None = None) -> ChunkSummary:
    start = index * 300.0
    points = [Point(text, start + 10 * n, moment_url(VIDEO, start + 10 * n)) for n, text in enumerate(texts)]
    return ChunkSummary(index, start, start + 300, points, source, title)


def job_with(
    points_per_chunk: list[list[str]],
    title: str | None = "A <b>title</b> & more",
    summarizer: str = "extractive",
    topics: tuple[str, ...] = (),
) -> Job:
    job = Job(VIDEO, ("en",), summarizer=summarizer)
    job.begin(len(points_per_chunk) + 1, "en", title, topics)
    for index, texts in enumerate(points_per_chunk):
        job.add_chunk(chunk(index, texts, title=f"topic {index} <&>"))
    return job


def tldr(*texts: str) -> list[Point]:
    return [Point(text, 60.0 * n + 5, moment_url(VIDEO, 60 * n + 5)) for n, text in enumerate(texts)]


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59.9, "0:59"), (754, "12:34"), (3723, "1:02:03")]
)
def test_clock(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def test_lengths_are_counted_as_telegram_counts_them() -> None:
    assert utf16_len("ab") == 2 and utf16_len("📝") == 2 and utf16_len("é") == 1
    message = '<b>Fish &amp; &lt;chips&gt;</b> <a href="https://youtu.be/x?t=1&amp;y">0:01</a> 📝'
    assert parsed_len(message) == len("Fish & <chips> 0:01 ") + 2
    assert entity_count(message) == 2
    assert fits("x" * MAX_LENGTH) and not fits("x" * (MAX_LENGTH + 1))
    assert fits("<b>x</b>" * MAX_ENTITIES) and not fits("<b>x</b>" * (MAX_ENTITIES + 1))


# --- the final summary -----------------------------------------------------------------------------------


async def test_the_lecture_reads_as_a_table_of_contents() -> None:
    job = await summarized(MEDIUM)
    assert job.title and job.topics and job.tldr_points and all(c.title for c in job.chunks)
    messages = render_final(job)
    # 4.3k characters of text (in Nov 2026): the last chapter follows in a second message.
    assert 1 <= len(messages) <= 2
    for message in messages:
        check_message(message)
    first = messages[0].split("\n")
    watch = f"https://www.youtube.com/watch?v={MEDIUM}"
    assert first[0] == f'📝 <a href="{watch}">{html.escape(job.title, quote=False)}</a>'
    assert first[1] == f"<i>{html.escape(' · '.join(job.topics), quote=False)}</i>"
    assert first[2:4] == ["", "<b>TL;DR</b>"]
    bullets = first[4 : 4 + len(job.tldr_points)]
    for line, point in zip(bullets, job.tldr_points, strict=True):
        match = POINT.match(line)
        assert match is not None
        assert seconds(match["url"], MEDIUM) == int(point.start) and match["clock"] == clock(point.start)
        assert match["text"] == html.escape(point.text, quote=False)
    rest = first[4 + len(job.tldr_points) :]
    assert rest[:2] == ["", "<b>Key points</b>"] and CHAPTER.match(rest[2])

    chapters = [m for message in messages for m in CHAPTER.finditer(message)]
    assert len(chapters) == len(job.chunks) == 6
    for found, summary in zip(chapters, job.chunks, strict=True):
        assert found["title"] == html.escape(summary.title or "", quote=False)
        assert found["span"] == f"{clock(summary.start)}{DASH}{clock(summary.end)}"
        assert seconds(found["url"], MEDIUM) == int(summary.start) and not found["continued"]
        points = list(POINT.finditer(found["points"]))
        assert [seconds(p["url"], MEDIUM) for p in points] == [int(p.start) for p in summary.points]
        assert [p["clock"] for p in points] == [clock(p.start) for p in summary.points]
        assert [html.unescape(p["text"]) for p in points] == [p.text for p in summary.points]
    # A second message is whole chapters only, the first that did not fit in the first message.
    if len(messages) == 2:
        later = list(CHAPTER.finditer(messages[1]))
        assert messages[1] == "\n".join(c.group(0) for c in later)
        assert not fits(f"{messages[0]}\n{later[0].group(0)}")


async def test_the_podcast_keeps_every_chapter_whole_in_as_few_messages_as_fit() -> None:
    job = await summarized(LONG)
    messages = render_final(job)
    texts = [check_message(message) for message in messages]
    # 24k characters of text after entity parsing: 6 messages at the very least; 7 (in Nov 2026) with
    # whole chapters, no more than one message above the least.
    assert len(messages) <= math.ceil(sum(map(utf16_len, texts)) / MAX_LENGTH) + 1
    assert messages[0].startswith("📝") and "<b>TL;DR</b>" in messages[0]
    per_message = [list(CHAPTER.finditer(message)) for message in messages]
    chapters = [c for found in per_message for c in found]
    assert [html.unescape(c["title"]) for c in chapters] == [c.title for c in job.chunks]
    assert [seconds(c["url"], LONG) for c in chapters] == [int(c.start) for c in job.chunks]
    quoted = [seconds(p["url"], LONG) for c in chapters for p in POINT.finditer(c["points"])]
    assert quoted == [int(p.start) for p in job.points] and len(quoted) == 132
    # After the head, each message is whole chapters; none could have joined the message before it.
    for message, found in zip(messages[1:], per_message[1:], strict=True):
        assert message == "\n".join(c.group(0) for c in found)
    for before, found in zip(messages, per_message[1:], strict=False):
        assert not fits(f"{before}\n{found[0].group(0)}")


async def test_short_videos_are_one_message() -> None:
    for video_id in (SHORT, "9P6rdqiybaw"):
        job = await summarized(video_id)
        [message] = render_final(job)
        check_message(message)
        assert message.count("<blockquote expandable>") == len(job.chunks) == 2
        assert message.startswith(f'📝 <a href="https://www.youtube.com/watch?v={video_id}">{video_id}</a>')


def test_titles_topics_and_points_are_escaped_and_linked_to_their_moments() -> None:
    job = job_with([["one", "two & <three>"], ["…four"]], topics=("fish & chips", "<b>"))
    job.chunks[1].title = None
    job.finish(tldr("It is <short> & sweet.", "…and more"))
    [text] = render_final(job)
    check_message(text)
    assert text.split("\n") == [
        f'📝 <a href="https://www.youtube.com/watch?v={VIDEO}">A &lt;b&gt;title&lt;/b&gt; &amp; more</a>',
        "<i>fish &amp; chips · &lt;b&gt;</i>",
        "",
        "<b>TL;DR</b>",
        f'• <a href="https://youtu.be/{VIDEO}?t=5">0:05</a> It is &lt;short&gt; &amp; sweet.',
        f'• <a href="https://youtu.be/{VIDEO}?t=65">1:05</a> …and more',
        "",
        "<b>Key points</b>",
        f'<b>topic 0 &lt;&amp;&gt;</b> (<a href="https://youtu.be/{VIDEO}?t=0">0:00{DASH}5:00</a>)',
        f'<blockquote expandable>• <a href="https://youtu.be/{VIDEO}?t=0">0:00</a> one',
        f'• <a href="https://youtu.be/{VIDEO}?t=10">0:10</a> two &amp; &lt;three&gt;</blockquote>',
        f'<b>Part 2</b> (<a href="https://youtu.be/{VIDEO}?t=300">5:00{DASH}10:00</a>)',
        f'<blockquote expandable>• <a href="https://youtu.be/{VIDEO}?t=300">5:00</a> …four</blockquote>',
    ]


def test_a_summary_cached_before_tldr_points_shows_its_tldr_paragraph() -> None:
    job = job_with([["one"]])
    job.finish([])
    job.tldr = "An old <TL;DR>."
    [text] = render_final(job)
    assert text.split("\n")[1:5] == ["", "<b>TL;DR</b>", "An old &lt;TL;DR&gt;.", ""]
    assert "<i>" not in text  # no topics, no note


def test_long_summaries_split_between_chapters_within_both_limits() -> None:
    texts = [[f"Point {c}.{n}: " + "läuft & <ok> 😀 " * 30 + "end" for n in range(3)] for c in range(40)]
    job = job_with(texts)
    job.finish(tldr("Short TL;DR."))
    messages = render_final(job)
    assert len(messages) > 3
    for message in messages:
        check_message(message)
    found = re.findall(r"Point (\d+\.\d+): ", "\n".join(messages))
    assert found == [f"{c}.{n}" for c in range(40) for n in range(3)]
    points = [p for m in messages for c in CHAPTER.finditer(m) for p in POINT.finditer(c["points"])]
    assert len(points) == 120 and all(p["text"].endswith("😀 end") for p in points)  # every point whole


def test_short_points_are_split_by_the_entity_limit() -> None:
    job = job_with([[f"p{c}.{n}" for n in range(3)] for c in range(40)])
    job.finish(tldr("x"))
    messages = render_final(job)
    assert len(messages) == 3  # 40 chapters of 6 entities, 16 a message; the text alone would fit in one
    assert sum(map(parsed_len, messages)) < MAX_LENGTH
    assert all(entity_count(m) > MAX_ENTITIES - 6 for m in messages[:-1])
    for message in messages:
        check_message(message)


def test_a_chapter_longer_than_a_message_continues_and_an_overlong_point_is_shortened() -> None:
    job = job_with([[f"Point {n} " + "x & y " * 100 for n in range(30)], ["x & y " * 2000]])
    job.finish(tldr("tl;dr"))
    messages = render_final(job)
    for message in messages:
        check_message(message)
    chapters = [c for m in messages for c in CHAPTER.finditer(m)]
    assert [c["continued"] is not None for c in chapters].count(False) == 2
    assert len(chapters) > 3 and all(c["title"] == "topic 0 &lt;&amp;&gt;" for c in chapters[:-1])
    points = [p["text"] for c in chapters for p in POINT.finditer(c["points"])]
    assert [p.split(" ")[1] for p in points[:30]] == [str(n) for n in range(30)]
    assert points[-1].endswith("…") and "&amp;" in points[-1]


def test_pack_fills_messages_in_order() -> None:
    assert pack(["aaa", "bbb", "ccc"], limit=7) == ["aaa\nbbb", "ccc"]
    assert pack(["<b>a</b>", "<b>b</b>", "<b>c</b>"], limit=7) == ["<b>a</b>\n<b>b</b>\n<b>c</b>"]
    assert pack(["<b>a</b>", "<b>b</b>", "<b>c</b>"], entities=2) == ["<b>a</b>\n<b>b</b>", "<b>c</b>"]
    assert pack([], limit=7) == []


# --- progress --------------------------------------------------------------------------------------------


def test_progress_shows_parts_topics_and_the_chapters_so_far_escaped() -> None:
    job = Job(VIDEO, ("en",))
    assert render_progress(job) == f"⏳ Working on <b>{VIDEO}</b>… waiting for my turn"
    job.mark_running()
    assert render_progress(job) == f"⏳ Working on <b>{VIDEO}</b>… fetching the captions"
    job = job_with([["Fish & <chips>", "second"], ["third"]], topics=("a & b", "c"))
    assert render_progress(job).split("\n") == [
        "⏳ Working on <b>A &lt;b&gt;title&lt;/b&gt; &amp; more</b>… 2/3 parts",
        "<i>a &amp; b · c</i>",
        "",
        f'<b>topic 0 &lt;&amp;&gt;</b> (<a href="https://youtu.be/{VIDEO}?t=0">0:00{DASH}5:00</a>)',
        f'<b>topic 1 &lt;&amp;&gt;</b> (<a href="https://youtu.be/{VIDEO}?t=300">5:00{DASH}10:00</a>)',
    ]
    assert "Fish" not in render_progress(job)  # points come with the summary


@pytest.mark.parametrize("summarizer", ["extractive", "llm:m"])  # llm: with the fallback note, a line more
def test_progress_with_too_many_chapters_keeps_the_newest_within_the_limits(summarizer: str) -> None:
    job = job_with([["point"] for _ in range(150)], summarizer=summarizer, topics=("x",) * 8)
    job.set_partial(chunk(150, ["being written"], "llm", title="the newest"))
    text = render_progress(job)
    check_message(text)
    lines = text.split("\n")
    head = 3 if summarizer == "extractive" else 4
    newest = f'(<a href="https://youtu.be/{VIDEO}?t=45000">12:30:00{DASH}12:35:00</a>) <i>writing…</i>'
    assert lines[head] == "…" and lines[-1].endswith(newest)
    assert lines[-2].startswith("<b>topic 149 ")
    # The newest chapters are shown, as many as fit: the one before them would not.
    oldest = re.match(r"<b>topic (\d+) ", lines[head + 1])
    assert oldest is not None and int(oldest[1]) > 0
    before = chapter_heading(job, job.chunks[int(oldest[1]) - 1])
    assert not fits("\n".join([*lines[: head + 1], before, *lines[head + 1 :]]))


def test_progress_shows_the_chapter_being_written_after_the_finished_ones() -> None:
    job = job_with([["one"]], summarizer="llm:m")
    job.chunks[0].source = "llm"
    job.set_partial(chunk(1, ["so far <b>"], "llm"))
    assert render_progress(job).split("\n")[2:] == [
        f'<b>topic 0 &lt;&amp;&gt;</b> (<a href="https://youtu.be/{VIDEO}?t=0">0:00{DASH}5:00</a>)',
        f'<b>Part 2</b> (<a href="https://youtu.be/{VIDEO}?t=300">5:00{DASH}10:00</a>) <i>writing…</i>',
    ]


def test_parts_the_model_did_not_write_are_named_in_progress_and_final() -> None:
    job = job_with([["one"], ["two"], ["three"], ["four"], ["five"]], summarizer="llm:m")
    for summary in job.chunks:
        summary.source = "llm"
    assert "without the language model" not in render_progress(job)
    job.chunks[3].source = job.chunks[4].source = "extractive"
    note = "<i>Summarized without the language model (the provider failed): parts 4 and 5.</i>"
    assert render_progress(job).split("\n")[1] == note
    job.finish(tldr("TL;DR."), "extractive")
    [text] = render_final(job)
    assert text.split("\n")[4:8] == ["", note.replace("5.", "5, the TL;DR."), "", "<b>Key points</b>"]
    plain = job_with([["one"]])
    plain.finish(tldr("TL;DR."))
    assert "language model" not in render_final(plain)[0] + render_progress(plain)


# --- failures --------------------------------------------------------------------------------------------


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
    assert job.status is JobStatus.FAILED
    assert render_final(job) == [render_error(SummaryError("no_transcript"), VIDEO)]
