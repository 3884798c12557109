"""CPU of reading subtitle files (`summarizer.subtitles.parse_subtitles`): the 3.5-hour recorded podcast as
SRT, WebVTT and YouTube's rolling auto-captions, the costliest file accepted, and refusals.

    .venv/bin/python benchmarks/subtitles.py [--runs 5]

Median `time.process_time` of `--runs` on a whole core, in this process; at Render's 0.1 CPU the wall time
is ten times as long. The files are made from tests/data/transcripts by tests/support/subtitle_files.py.
The figures in summarizer/subtitles.py's docstring come from here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.limits import SUBTITLES_MAX_BYTES  # noqa: E402
from summarizer.errors import SummaryError  # noqa: E402
from summarizer.subtitles import Limits, parse_subtitles  # noqa: E402
from tests.support import subtitle_files as files  # noqa: E402
from tests.support.data import LONG  # noqa: E402


def median_cpu(action: Callable[[], object], runs: int) -> float:
    """Median CPU seconds of `action()`."""
    spent = []
    for _ in range(runs):
        began = time.process_time()
        action()
        spent.append(time.process_time() - began)
    return statistics.median(spent)


def refused(data: bytes) -> Callable[[], object]:
    def read() -> object:
        try:
            return parse_subtitles(data)
        except SummaryError as error:
            return error

    return read


def costliest() -> bytes:
    """30,000 SRT cues (the most accepted) of ten words each, cut at 2 MiB: the most work a file may ask."""
    blocks = [
        f"{n}\n{files.clock(n * 0.7, ',')} --> {files.clock(n * 0.7 + 0.6, ',')}\n{'word ' * 9}\n"
        for n in range(1, 30_001)
    ]
    return "\n".join(blocks).encode()[:SUBTITLES_MAX_BYTES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    cases: list[tuple[str, bytes, Callable[[bytes], Callable[[], object]]]] = [
        (f"{LONG} as SRT", files.srt(LONG).encode(), lambda d: lambda: parse_subtitles(d, Limits(len(d)))),
        (f"{LONG} as WebVTT", files.vtt(LONG).encode(), lambda d: lambda: parse_subtitles(d, Limits(len(d)))),
        (
            f"{LONG} as rolling WebVTT",
            files.rolling_vtt(LONG).encode(),
            lambda d: lambda: parse_subtitles(d, Limits(len(d))),
        ),
        ("30,000 SRT cues in 2 MiB", costliest(), lambda d: lambda: parse_subtitles(d)),
        ("refused: 2 MiB + 1 byte", b"x" * (SUBTITLES_MAX_BYTES + 1), refused),
        (
            "refused: 40,000 cues",
            ("WEBVTT\n\n" + "00:00.000 --> 00:00.001\nx\n\n" * 40_000).encode(),
            refused,
        ),
    ]
    for name, data, make in cases:
        seconds = median_cpu(make(data), runs)
        print(f"{name:36} {len(data) / 1000:8.0f} KB  {seconds:6.2f} s CPU")


if __name__ == "__main__":
    main()
