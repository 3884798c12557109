"""A service process for the kill -9 test: `python -m tests.support.crash_app <redis_url> <chunks> <port>`.

It summarizes `<chunks>` chunks, then every further chunk hangs until the process is killed.
"""

from __future__ import annotations

import sys

import uvicorn

from api.main import create_app
from core.config import Settings
from tests.support.data import TRANSCRIPTS
from tests.support.runners import HangingRunner


def main(redis_url: str, chunks: int, port: int) -> None:
    settings = Settings(redis_url=redis_url, transcript_dir=str(TRANSCRIPTS), job_lease_seconds=1.0)
    uvicorn.run(create_app(settings, HangingRunner(chunks)), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
