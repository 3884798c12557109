"""What hostile input costs (issue 17).

`.venv/bin/python benchmarks/bad_input.py` (from the project root, a few seconds): CPU of the functions
that read it, by `time.process_time()`. On the 0.1-CPU box 1 CPU-second is about 10 s of wall time, all
of it on the event loop for these.

`.venv/bin/python benchmarks/bad_input.py --against URL [--key KEY] [--codes]`: three back-to-back posts of
the 4 MB inline transcript of 115,000 snippets (`--codes`: 55 posts of ten 408 KB language codes) to a
running service while `/healthz` is polled every 50 ms; the service at 0.1 CPU (as root):
    TRANSCRIPT_DIR=tests/data/transcripts ../shared/tools/render-sim --cpu 0.1 --mem 512M -- \
        .venv/bin/uvicorn api.main:app --port 8765 --loop uvloop --http httptools --no-access-log
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import asyncio
import gc
import json
import statistics

import httpx
import orjson
from pydantic import ValidationError

from api.schemas import SummaryRequest
from handlers.telegram import links_in
from summarizer.links import find_video_ids

# api/__init__.py pauses the garbage collector until api.main's end, which this script never imports: measure
# with it on, as the service runs.
gc.enable()


def cpu_ms(work: Callable[[], object], runs: int = 3) -> float:
    """Median CPU milliseconds of `work()`."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return sorted(times)[len(times) // 2] * 1000


def repeated(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def big_body() -> bytes:
    """The 4 MB inline transcript of 115,000 tiny snippets (the limit is 30,000)."""
    snippets = [{"text": "", "start": 0, "duration": 0}] * 115_000
    return orjson.dumps({"url": "dQw4w9WgXcQ", "transcript": {"language_code": "en", "snippets": snippets}})


def long_codes() -> bytes:
    """Ten 408 KB language codes: before issue 17 each request kept ~8 MiB."""
    return orjson.dumps({"url": "dQw4w9WgXcQ", "languages": ["en-" + "abcdefgh-" * 45_000 + "x"] * 10})


async def against(url: str, key: str, body: bytes, posts: int) -> None:
    latencies: list[float] = []
    done = False
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:

        async def poll() -> None:
            while not done:
                started = time.perf_counter()
                await client.get("/healthz")
                latencies.append(time.perf_counter() - started)
                await asyncio.sleep(0.05)

        polling = asyncio.create_task(poll())
        headers = {"Content-Type": "application/json", "X-API-Key": key}
        for _ in range(posts):
            started = time.perf_counter()
            response = await client.post("/v1/summaries", content=body, headers=headers)
            answer = response.json()
            what = (answer.get("error") or {}).get("code") or answer.get("status")
            print(f"{response.status_code} {what} in {time.perf_counter() - started:.2f} s")
        done = True
        await polling
    print(
        f"/healthz meanwhile: p50 {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )


def functions() -> None:
    for size in (64_000, 480_000):
        text = repeated("www.youtube.com/watch?v=", size)
        print(
            f"find_video_ids, {size // 1000} KB of www.youtube.com/watch?v=: {cpu_ms(partial(find_video_ids, text)):.1f} ms"
        )
    url = repeated("www.youtube.com/watch?v=", 2048)
    message = {
        "text": repeated("www.youtube.com/watch?v=", 4096),
        "entities": [{"type": "text_link", "offset": 0, "length": 1, "url": url}] * 100,
    }
    print(
        f"links_in, 4096 characters with 100 text links of 2048: {cpu_ms(lambda: links_in(message)):.1f} ms"
    )

    body = big_body()
    print(f"4 MB of 115,000 snippets: json.loads {cpu_ms(partial(json.loads, body)):.0f} ms, ", end="")
    print(f"orjson.loads {cpu_ms(partial(orjson.loads, body)):.0f} ms, ", end="")
    parsed = orjson.loads(body)
    print(f"validated {cpu_ms(partial(SummaryRequest.model_validate, parsed)):.0f} ms")
    invalid = {"url": "x", "transcript": {"language_code": "en", "snippets": [0] * 1_000_000}}
    print(f"1M invalid snippets validated: {cpu_ms(partial(refused, invalid), runs=1):.0f} ms")


def refused(data: object) -> None:
    try:
        SummaryRequest.model_validate(data)
    except ValidationError:
        return
    raise AssertionError("accepted")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--against", metavar="URL", help="post the 4 MB transcript to this running service")
    parser.add_argument("--key", default="", help="its X-API-Key")
    parser.add_argument(
        "--codes", action="store_true", help="post ten 408 KB language codes 55 times instead"
    )
    args = parser.parse_args()
    if args.against:
        body, posts = (long_codes(), 55) if args.codes else (big_body(), 3)
        asyncio.run(against(args.against, args.key, body, posts))
    else:
        functions()
