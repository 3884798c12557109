"""The line chat messages add when parts of an LLM job fell back to the extractive summarizer."""

from __future__ import annotations

from summarizer.jobs import Job

LISTED_PARTS = 5  # more fallback parts than this are counted, not listed


def _parts(numbers: list[int], total: int | None) -> str | None:
    """`part 3`, `parts 3, 4 and 7`, `all parts` or `9 of 40 parts`."""
    if not numbers:
        return None
    if len(numbers) == 1:
        return f"part {numbers[0]}"
    if len(numbers) == total:
        return "all parts"
    if len(numbers) > LISTED_PARTS:
        return f"{len(numbers)} of {total} parts"
    return "parts " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


def fallback_note(job: Job) -> str | None:
    """What the language model did not write, e.g. "Summarized without the language model (the provider
    failed): parts 3 and 5."; None for an extractive job or when the model wrote everything so far.
    Plain text: renderers escape it."""
    if job.summarizer == "extractive":
        return None
    parts = _parts([c.index + 1 for c in job.chunks if c.source == "extractive"], job.total)
    what = [p for p in (parts, "the TL;DR" if job.tldr_source == "extractive" else None) if p]
    if not what:
        return None
    return f"Summarized without the language model (the provider failed): {', '.join(what)}."
