"""Command line: `python -m summarizer <link or id> [--transcript-dir DIR] [--language CODE] [--json]`.

Prints the video's topics, then each chunk's title and key points as they are made, then the TL;DR points.
`python -m summarizer worker [--lane residential]` runs jobs of the shared queue instead
(summarizer/queue_worker.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import orjson

from core.config import Settings
from core.formats import clock
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.links import parse_video_id
from summarizer.models import Point


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m summarizer", description="Summarize a YouTube video.")
    parser.add_argument("video", help="a YouTube link in any common form, or the 11-character video id")
    parser.add_argument(
        "--transcript-dir", help="read <video_id>.json transcripts from this folder (offline)"
    )
    parser.add_argument(
        "--language", action="append", dest="languages", help="preferred transcript language (repeatable)"
    )
    parser.add_argument("--json", action="store_true", help="print the finished job resource as JSON")
    return parser.parse_args(argv)


async def summarize(args: argparse.Namespace) -> Job:
    settings = Settings(**({"transcript_dir": args.transcript_dir} if args.transcript_dir else {}))
    engine = Engine.from_settings(settings, runner=InlineRunner(), durable=False)
    await engine.start()
    try:
        job, _ = await engine.submit(parse_video_id(args.video), args.languages, requester="cli")
        printed, topics = 0, False
        async for current in job.changes():
            assert current is not None
            if args.json:
                continue
            if current.topics and not topics:
                print("Topics: " + " \u00b7 ".join(current.topics))
                topics = True
            for chunk in current.chunks[printed:]:
                title = f" {chunk.title}" if chunk.title else ""
                print(f"\n[{clock(chunk.start)} - {clock(chunk.end)}]{title}")
                _print_points(chunk.points)
            printed = len(current.chunks)
        return job
    finally:
        await engine.stop()


def _print_points(points: list[Point]) -> None:
    for point in points:
        print(f"  {clock(point.start):>8}  {point.text}  {point.url}")


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["worker"]:
        from summarizer import queue_worker

        return queue_worker.main(arguments[1:])
    args = parse_args(argv)
    try:
        job = asyncio.run(summarize(args))
    except SummaryError as error:
        print(f"error ({error.code}): {error.message}", file=sys.stderr)
        return 2
    if args.json:
        print(orjson.dumps(job.to_dict(), option=orjson.OPT_INDENT_2).decode())
    elif job.status is JobStatus.DONE:
        print("\nTL;DR:")
        _print_points(job.tldr_points)
    if job.error:
        print(f"error ({job.error.code}): {job.error.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
