"""`python -m tests.support.recorded_worker [--lane residential]`: the real `python -m summarizer worker`,
with YouTube's network replaced by its recorded answers (tests/support/youtube.py), as the `yt` fixture
does in the test process: a second process whose YouTube serves transcripts."""

from __future__ import annotations

import sys

from summarizer.__main__ import main
from tests.support.youtube import recorded_youtube

if __name__ == "__main__":
    with recorded_youtube():
        sys.exit(main(["worker", *sys.argv[1:]]))
