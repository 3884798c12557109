"""SIGTERM to a real service process: its open event streams end at once, so the shutdown logs no ERROR
and no traceback (uvicorn cancelled them, with both, when its grace ran out: issue 17)."""

from __future__ import annotations

import asyncio
import signal
import sys

import httpx

from tests.support.data import MEDIUM
from tests.support.deploy import ROOT
from tests.support.rest import submitted_once_up
from tests.support.servers import free_port

GRACE = 3.0  # seconds uvicorn gives open connections (tests/support/crash_app.py)


async def test_sigterm_ends_open_event_streams_without_an_error() -> None:
    port = free_port()
    args = ("-m", "tests.support.crash_app", "-", "0", str(port))  # no Redis; every chunk hangs
    service = await asyncio.create_subprocess_exec(
        sys.executable, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            job = await submitted_once_up(client, MEDIUM)
            async with client.stream("GET", f"/v1/summaries/{job['id']}/events") as stream:
                service.send_signal(signal.SIGTERM)
                async with asyncio.timeout(GRACE - 1):  # ended by the service, not by its grace running out
                    async for _ in stream.aiter_bytes():
                        pass
        assert service.stdout is not None
        output = (await asyncio.wait_for(service.stdout.read(), 30)).decode()
    finally:
        if service.returncode is None:
            service.kill()
        await service.wait()
    assert "ERROR" not in output and "Traceback" not in output, output
