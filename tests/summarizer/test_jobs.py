"""A job's state changes: progress from a saved copy never goes backwards; cached summaries; callbacks."""

from __future__ import annotations

from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.models import ChunkSummary, Point

VIDEO = "LPZh9BOjkQs"


def chunk(index: int) -> ChunkSummary:
    return ChunkSummary(index, index * 60.0, index * 60.0 + 60, [Point(f"point {index}", index * 60.0, "u")])


def copy_of(job: Job, chunks: int, status: JobStatus = JobStatus.RUNNING) -> Job:
    """`job` as a process saved it after `chunks` chunks."""
    saved = Job(job.video_id, job.languages, id=job.id, status=status, total=4)
    saved.chunks = [chunk(i) for i in range(chunks)]
    return saved


def test_a_job_takes_newer_progress_and_wakes_its_listeners() -> None:
    job = Job(VIDEO, ("en",))
    before = job.version
    job.update_from(copy_of(job, 2))
    assert (job.status, len(job.chunks), job.total) == (JobStatus.RUNNING, 2, 4)
    assert job.version == before + 1


def test_a_stale_copy_never_moves_a_job_backwards() -> None:
    """A Redis read that began before the job's last checkpoint may end after it (a GET racing the run)."""
    job = Job(VIDEO, ("en",))
    job.update_from(copy_of(job, 3))
    job.update_from(copy_of(job, 1))
    assert len(job.chunks) == 3
    done = copy_of(job, 4, JobStatus.DONE)
    job.update_from(done)
    version = job.version
    job.update_from(copy_of(job, 4))  # same chunks, but running: the state before the TL;DR was saved
    assert job.status is JobStatus.DONE and job.version == version


def test_a_failed_job_stays_failed() -> None:
    job = Job(VIDEO, ("en",))
    job.fail(SummaryError("timeout"))
    job.update_from(copy_of(job, 0, JobStatus.QUEUED))
    assert job.status is JobStatus.FAILED and job.error is not None and job.error.code == "timeout"


def test_a_cached_summary_finishes_a_job_with_the_same_key() -> None:
    ran = Job(VIDEO, ("en",))
    ran.update_from(copy_of(ran, 2))
    ran.finish([Point("The TL;DR.", 60.0, "u")])
    twin = Job(VIDEO, ("en",))
    twin.finish_from_summary(ran.summary())
    assert twin.status is JobStatus.DONE and twin.chunks == ran.chunks and twin.total == 2
    assert (twin.tldr, twin.tldr_source, twin.tldr_points) == ("The TL;DR.", "extractive", ran.tldr_points)


def test_each_callback_url_is_listed_once_pending() -> None:
    job = Job(VIDEO, ("en",))
    first = job.delivery("https://hooks.example.com/a")
    assert job.delivery("https://hooks.example.com/a") is first and first.state == "pending"
    job.delivery("https://hooks.example.com/b")
    assert [d.url for d in job.callbacks] == ["https://hooks.example.com/a", "https://hooks.example.com/b"]
