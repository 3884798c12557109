"""A service process for the kill -9 and SIGTERM tests: `python -m tests.support.crash_app <redis_url>
<chunks> <port>` (`-` for no Redis).

It summarizes `<chunks>` chunks, then every further chunk hangs until the process is killed. Open
connections get 3 s when it stops (render.yaml gives them 20).
"""

from __future__ import annotations

import sys

import uvicorn

from api.main import create_app
from core.config import Settings
from tests.support.data import TRANSCRIPTS
from tests.support.runners import HangingRunner


def main(redis_url: str, chunks: int, port: int) -> None:
    settings = Settings(
        redis_url=None if redis_url == "-" else redis_url,
        transcript_dir=str(TRANSCRIPTS),
        job_lease_seconds=1.0,
    )
    app = create_app(settings, HangingRunner(chunks))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=3)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
