"""What a video is about, on the real transcripts: topics name the subject, the TL;DR starts with the
video's own statement of purpose, and a sponsor read never becomes a point, a TL;DR item or a topic."""

from __future__ import annotations

import pytest

from summarizer.jobs import Job
from summarizer.outline import outline
from tests.support.extractive import load
from tests.support.summaries import summarized


async def summary(video_id: str) -> Job:
    job = await summarized(video_id)
    assert job.error is None
    return job


@pytest.mark.parametrize(
    ("video_id", "subject"), [("LPZh9BOjkQs", "large language model"), ("eMlx5fFNoYc", "attention")]
)
def test_the_topics_of_a_3blue1brown_explainer_name_its_subject(video_id: str, subject: str) -> None:
    topics = outline(load(video_id), 300.0, 900).topics
    assert 3 <= len(topics) <= 8
    assert all(1 <= len(topic.split()) <= 4 for topic in topics)
    assert any(subject in topic.lower() for topic in topics), topics


async def test_a_lecture_s_tldr_starts_with_its_statement_of_purpose() -> None:
    job = await summary("eMlx5fFNoYc")
    first = job.tldr_points[0]
    assert "in this chapter you and I will dig into what this attention mechanism is" in first.text
    assert first.url == f"https://youtu.be/eMlx5fFNoYc?t={int(first.start)}" and first.start < 30
    assert 2 <= len(job.tldr_points) <= 5
    assert job.tldr == " ".join(p.text for p in job.tldr_points)


async def test_an_explainer_s_sponsor_read_supplies_no_point_tldr_item_or_topic() -> None:
    """Kurzgesagt's wormhole video ends with a Brilliant read (from 8:27): nothing of it is shown."""
    plan = outline(load("9P6rdqiybaw"), 300.0, 900)
    [(start, end)] = plan.ads
    assert (
        start <= 507 and end >= 553
    )  # "…courts consult and brilliant are collaborating" … "annual premium subscription"
    job = await summary("9P6rdqiybaw")
    shown = [*job.points, *job.tldr_points]
    assert shown and not [p for p in shown if start <= p.start <= end]
    assert not [p for p in shown if "brilliant" in p.text.lower()]
    assert not [t for t in job.topics if "brilliant" in t.lower()]


async def test_every_chunk_has_a_title_and_the_job_its_topics() -> None:
    job = await summary("cdiD-9MMpb0")
    titles = [c.title for c in job.chunks]
    assert all(titles) and len(set(titles)) > len(titles) / 2  # labels tell the chapters apart
    assert all(len(t) <= 60 for t in titles if t)
    assert 3 <= len(job.topics) <= 8
    assert 2 <= len(job.tldr_points) <= 5
    assert job.to_dict()["chunks"][0]["title"] == titles[0]
