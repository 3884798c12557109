"""CPU a hostile input costs the functions that read it (issue 17), by `time.process_time()`.

Run from the project root: `.venv/bin/python benchmarks/bad_input.py` (a few seconds). On the 0.1-CPU box
1 CPU-second is about 10 s of wall time, all of it on the event loop for these.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.telegram import links_in
from summarizer.links import find_video_ids


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


def main() -> None:
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


if __name__ == "__main__":
    main()
