"""What the memory cache (no `REDIS_URL`) holds for transcripts sent in to be summarized.

    .venv/bin/python benchmarks/cache_memory.py [--count 50] [--largest]

Caches `--count` distinct transcripts as `Engine.submit` does for a REST `transcript` / `subtitles` or a
chat's file (`Cache.set_transcript` under its digest, the cache built from the default settings): the
3.5-hour cdiD-9MMpb0 (312 KB as orjson), or with `--largest` the largest accepted (its text tiled to
MAX_TRANSCRIPT_SNIPPETS snippets, MAX_TRANSCRIPT_CHARS characters). Prints the bytes of the values the
cache holds then, and how much the resident set (VmRSS) grew: what the 512 MB limit counts. (tracemalloc
would say more: orjson's bytes keep the buffer they were written in, whose unwritten tail is never resident.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import Settings  # noqa: E402
from core.formats import byte_size  # noqa: E402
from summarizer.cache import BoundedMemoryCache  # noqa: E402
from summarizer.cpu_process import InlineRunner  # noqa: E402
from summarizer.engine import Engine  # noqa: E402
from summarizer.models import Snippet, Transcript  # noqa: E402
from summarizer.transcripts.folder import FolderSource  # noqa: E402

LONG = "cdiD-9MMpb0"


def rss() -> int:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) * 1024


def largest(transcript: Transcript, settings: Settings) -> Transcript:
    """`transcript`'s text tiled to the most snippets and characters a request may send."""
    per_snippet = settings.max_transcript_chars // settings.max_transcript_snippets
    text = " ".join(s.text for s in transcript.snippets)
    tiled = text * (settings.max_transcript_chars // len(text) + 1)
    snippets = [
        Snippet(tiled[n * per_snippet : (n + 1) * per_snippet], n * 2.0, 2.0)
        for n in range(settings.max_transcript_snippets)
    ]
    return Transcript(transcript.video_id, transcript.language_code, transcript.is_generated, snippets)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--largest", action="store_true", help="the largest transcript accepted")
    args = parser.parse_args()
    settings = Settings(_env_file=None, redis_url=None)
    engine = Engine.from_settings(settings, InlineRunner(), durable=False)
    transcript = FolderSource(str(ROOT / "tests" / "data" / "transcripts")).fetch(LONG, ["en"])
    if args.largest:
        transcript = largest(transcript, settings)
    first = transcript.snippets[0]
    chars = sum(len(s.text) for s in transcript.snippets)
    gc.collect()
    rss_before = rss()
    for n in range(args.count):
        transcript.snippets[0] = Snippet(f"{n} {first.text}", first.start, first.duration)  # another digest
        await engine.cache.set_transcript((transcript.language_code,), transcript, inline=transcript.digest())
    transcript.snippets[0] = first
    gc.collect()
    grown = rss() - rss_before
    memory = engine.cache.backend
    assert isinstance(memory, BoundedMemoryCache)
    print(
        f"{args.count} transcripts of {len(transcript.snippets)} snippets, {chars:,} characters: "
        f"{len(memory._cache)} kept, {byte_size(memory.held)} of values, VmRSS +{byte_size(grown)}"
    )
    await engine.cache.close()


if __name__ == "__main__":
    asyncio.run(main())
