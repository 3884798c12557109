"""render.yaml's start command, run for real: no access log with `--no-access-log`, one line per failure.

uvicorn switches its access log off before importing the app; the app's logging (core/logs.py) must keep
it off, or every request pays for a line (issue 16: 204 access lines for 200 webhooks). The same command
without the flag logs each request, so the check is shown to fail when the flag is ignored.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.deploy import running, start_command


def lines_after_start(log: Path) -> list[str]:
    text = log.read_text(encoding="utf-8")
    return text.split("Uvicorn running on", 1)[1].splitlines()[1:]


@pytest.mark.parametrize("access_log", [False, True], ids=["as-deployed", "flag-removed"])
def test_start_command_logs_failures_not_requests(tmp_path: Path, access_log: bool) -> None:
    command = start_command()
    assert "--no-access-log" in command
    if access_log:
        command.remove("--no-access-log")
    with running(command, tmp_path) as (client, log, _process):
        for _ in range(20):
            assert client.get("/healthz").status_code == 200
        assert client.post("/v1/summaries", json={"url": "not a link"}).status_code == 422
        job = client.post("/v1/summaries", json={"url": "aaaaaaaaaaa"}).json()  # no such transcript
        for _ in range(200):
            if client.get(f"/v1/summaries/{job['id']}").json()["status"] == "failed":
                break
            time.sleep(0.05)
        time.sleep(0.2)  # the line of the last request is written after its response
    lines = lines_after_start(log)
    access = [line for line in lines if " uvicorn.access: " in line]
    assert (len(access) >= 22) if access_log else access == []
    # The rest, uvicorn's shutdown aside: the failed job, once (a refused link is answered, not logged).
    events = [line for line in lines if " uvicorn." not in line]
    assert len(events) == 1 and job["id"] in events[0] and "no_transcript" in events[0], events
