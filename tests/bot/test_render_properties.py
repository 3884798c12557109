"""Properties of splitting a summary into platform messages, over generated jobs (hypothesis).

Whatever the titles and point texts (HTML, markdown, emoji, very long), every message fits its
platform's limits and every key point appears exactly once, whole, in order.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import discord_render, telegram_render
from summarizer.jobs import Job
from summarizer.models import ChunkSummary, Point, moment_url

VIDEO = "dQw4w9WgXcQ"
TEXT = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from("<>&*_~`|@#😀👍🏽")),
    min_size=1,
    max_size=400,
)


@st.composite
def finished_jobs(draw: st.DrawFn) -> Job:
    texts = draw(st.lists(TEXT, min_size=0, max_size=150))
    job = Job(VIDEO, ("en",))
    job.begin(total=1, language_code="en", title=draw(st.none() | TEXT))
    # Distinct moments, so each point's link identifies it.
    points = [Point(text, float(i * 7), moment_url(VIDEO, i * 7)) for i, text in enumerate(texts)]
    job.add_chunk(ChunkSummary(0, 0.0, float(len(points) * 7 + 1), points))
    job.finish(draw(TEXT))
    return job


def links_in_order(texts: list[str], job: Job, close: str) -> None:
    """Every point's link (`...?t=<s>` then `close`) is in exactly one message, once, and in order."""
    markers = [f"?t={int(point.start)}{close}" for point in job.points]
    for marker in markers:
        assert sum(text.count(marker) for text in texts) == 1
    joined = "\n".join(texts)
    positions = [joined.index(marker) for marker in markers]
    assert positions == sorted(positions)


@settings(max_examples=60, deadline=None)
@given(finished_jobs())
def test_telegram_messages_fit_and_keep_every_point_whole(job: Job) -> None:
    messages = telegram_render.render_final(job)
    assert messages and all(telegram_render.utf16_len(m) <= telegram_render.MAX_LENGTH for m in messages)
    links_in_order(messages, job, '"')  # <a href="...?t=12">


@settings(max_examples=60, deadline=None)
@given(finished_jobs())
def test_discord_messages_fit_and_never_mention(job: Job) -> None:
    messages = discord_render.summary_messages(job)
    descriptions = []
    for message in messages:
        assert message["allowed_mentions"] == {"parse": []}
        assert len(message.get("content", "")) <= discord_render.CONTENT_MAX
        for embed in message.get("embeds", []):
            assert len(embed["description"]) <= discord_render.DESCRIPTION_MAX
            assert len(embed["title"]) <= discord_render.TITLE_MAX
            total = (
                len(embed["title"]) + len(embed["description"]) + len(embed.get("footer", {}).get("text", ""))
            )
            assert total <= discord_render.EMBED_TOTAL_MAX
            descriptions.append(embed["description"])
    links_in_order(descriptions, job, ")")  # [0:12](...?t=12)
