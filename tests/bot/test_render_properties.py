"""Properties of splitting a summary into platform messages, over generated jobs (hypothesis).

Whatever the titles, channels, topics, TL;DR, chapter titles and point texts (HTML, markdown, emoji, very
long, or none at all), every message fits its platform's limits, every chapter is shown in order, and every
key point appears exactly once, in order, in its chapter.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import discord_render, telegram_render
from bot.render_parts import utf16_len
from summarizer.jobs import Job
from summarizer.models import ChunkSummary, Point, moment_url

VIDEO = "dQw4w9WgXcQ"
TEXT = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from("<>&*_~`|@#😀👍🏽…")
    ),
    min_size=1,
    max_size=400,
)
SECONDS = re.compile(r"\?t=(\d+)")


@st.composite
def finished_jobs(draw: st.DrawFn) -> Job:
    chapters = draw(st.lists(st.lists(TEXT, max_size=40), min_size=1, max_size=12))
    job = Job(VIDEO, ("en",))
    job.begin(
        len(chapters),
        "en",
        draw(st.none() | TEXT),
        draw(st.lists(TEXT, max_size=8)),
        channel=draw(st.none() | TEXT),
    )
    moment = 0
    for index, texts in enumerate(chapters):
        start = moment
        # Distinct moments, so each point's link identifies it.
        points = []
        for text in texts:
            moment += 7
            points.append(Point(text, float(moment), moment_url(VIDEO, moment)))
        moment += 7
        job.add_chunk(ChunkSummary(index, float(start), float(moment), points, title=draw(st.none() | TEXT)))
    tldr = draw(st.lists(st.sampled_from(job.points), max_size=5)) if job.points else []
    job.finish([Point(draw(TEXT), p.start, p.url) for p in tldr])
    return job


class Tags(HTMLParser):
    """The structure of a Telegram message: its tags nested, the points of each blockquote."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.quotes: list[list[int]] = []  # the moments linked in each blockquote
        self.headings: list[int] = []  # the moment each chapter heading links to

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ("a", "b", "i", "blockquote")
        if tag == "blockquote":
            assert attrs == [("expandable", None)] and "blockquote" not in self.stack
            self.quotes.append([])
        if tag == "a":
            [(name, url)] = attrs
            assert name == "href" and url is not None
            if "blockquote" in self.stack:
                self.quotes[-1].append(int(url.rsplit("?t=", 1)[1]))
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag


@settings(max_examples=60, deadline=None)
@given(finished_jobs())
def test_telegram_messages_fit_and_keep_every_chapter_and_point(job: Job) -> None:
    messages = telegram_render.render_final(job)
    assert messages and all(telegram_render.fits(m) for m in messages)
    quotes: list[list[int]] = []
    for message in messages:
        tags = Tags()
        tags.feed(message)
        tags.close()
        assert tags.stack == []  # every tag of a message is closed in it
        quotes += tags.quotes
    # Each chapter's points are in its blockquote(s), in order; a blockquote holds one chapter's.
    found = [moment for quote in quotes for moment in quote]
    assert found == [int(p.start) for p in job.points]
    assert all(quote for quote in quotes)
    headings = [telegram_render.chapter_heading(job, chunk) for chunk in job.chunks]
    joined = "\n".join(messages)
    positions = [joined.index(heading) for heading in headings]
    assert positions == sorted(positions)


def _fields(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for m in messages for e in m["embeds"] for f in e.get("fields", [])]


@settings(max_examples=60, deadline=None)
@given(finished_jobs())
def test_discord_messages_fit_and_never_mention(job: Job) -> None:
    messages = discord_render.summary_messages(job)
    for message in messages:
        assert message["allowed_mentions"] == {"parse": []}
        assert utf16_len(message.get("content", "")) <= discord_render.CONTENT_MAX
        assert 0 < len(message["embeds"]) <= discord_render.EMBEDS_MAX
        for embed in message["embeds"]:
            assert utf16_len(embed.get("description", "")) <= discord_render.DESCRIPTION_MAX
            assert utf16_len(embed.get("title", "")) <= discord_render.TITLE_MAX
            assert len(embed.get("fields", [])) <= discord_render.FIELDS_MAX
            for field in embed.get("fields", []):
                assert 0 < utf16_len(field["name"]) <= discord_render.FIELD_NAME_MAX
                assert 0 < utf16_len(field["value"]) <= discord_render.FIELD_VALUE_MAX
        assert discord_render.embeds_size(message) <= discord_render.EMBED_TOTAL_MAX
    fields = _fields(messages)
    # Every chapter has a field (or several, marked continued), in order; every point is in its chapter's.
    names = [f["name"] for f in fields if not f["name"].endswith(", continued)")]
    assert names == [discord_render.chapter_name(chunk) for chunk in job.chunks]
    found = [int(m) for f in fields for line in f["value"].split("\n") for m in SECONDS.findall(line)[:1]]
    assert found == [int(p.start) for p in job.points]
