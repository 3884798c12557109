"""render.yaml's start command, run for real: no access log with `--no-access-log`, one line per failure.

uvicorn switches its access log off before importing the app; the app's logging (core/logs.py) must keep
it off, or every request pays for a line (issue 16: 204 access lines for 200 webhooks). The same command
without the flag logs each request, so the check is shown to fail when the flag is ignored.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.data import TRANSCRIPTS
from tests.support.deploy import ROOT
from tests.support.servers import free_port


def start_command() -> list[str]:
    """render.yaml's web start command on a free loopback port, run by this interpreter."""
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text(encoding="utf-8"))
    command = next(s for s in blueprint["services"] if s["type"] == "web")["startCommand"]
    words = shlex.split(command.replace("$PORT", str(free_port())).replace("0.0.0.0", "127.0.0.1"))
    assert words[0] == "uvicorn"
    return [sys.executable, "-m", *words]


@contextmanager
def running(command: list[str], workdir: Path) -> Iterator[tuple[httpx.Client, Path]]:
    """The command started offline (transcripts from the test folder); a client on its port and its log."""
    port = command[command.index("--port") + 1]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env |= {"PYTHONPATH": str(ROOT), "TRANSCRIPT_DIR": str(TRANSCRIPTS), "RATE_LIMIT": ""}
    log = workdir / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(600):
                assert process.poll() is None, log.read_text()
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            yield client, log
    finally:
        process.terminate()
        process.wait(20)


def lines_after_start(log: Path) -> list[str]:
    text = log.read_text(encoding="utf-8")
    return text.split("Uvicorn running on", 1)[1].splitlines()[1:]


@pytest.mark.parametrize("access_log", [False, True], ids=["as-deployed", "flag-removed"])
def test_start_command_logs_failures_not_requests(tmp_path: Path, access_log: bool) -> None:
    command = start_command()
    assert "--no-access-log" in command
    if access_log:
        command.remove("--no-access-log")
    with running(command, tmp_path) as (client, log):
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
