"""Fixtures shared by the suite: the recorded data, a real HTTP server for an app, a real Redis."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis
import uvicorn
from fastapi import FastAPI

from core import logs
from core.config import get_settings

DATA = Path(__file__).parent / "data"
TRANSCRIPTS = DATA / "transcripts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[str]:
    """Run `app` (lifespan included) under uvicorn on a free loopback port; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # re-raise a failed start
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
def service_logs() -> Iterator[Callable[[str], io.StringIO]]:
    """`service_logs("json")`: the service's own log handler (core/logs.py) at DEBUG, writing to a
    buffer for the rest of the test; the environment's configuration is restored afterwards."""

    def capture(fmt: str = "text") -> io.StringIO:
        buffer = io.StringIO()
        logs.configure("DEBUG", fmt, buffer)
        return buffer

    yield capture
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)


class RedisServer:
    """A throwaway `redis-server` on a free loopback port (never the machine's own 6379), no persistence."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers PING."""
        log = self.workdir / "redis.log"
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [self.binary, *args, "--dir", str(self.workdir)], stdout=out, stderr=subprocess.STDOUT
            )
        with redis.Redis(port=self.port, socket_connect_timeout=1) as client:
            for _ in range(1000):
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited: {log.read_text()[-2000:]}")
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    time.sleep(0.01)
        raise RuntimeError(f"redis-server did not answer: {log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL, as a crashed or lost Redis looks to the service."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


def redis_binary() -> str:
    """The `redis-server` binary; a loud skip without it, a failure under CI (`./dev test` installs it)."""
    if binary := shutil.which("redis-server"):
        return binary
    message = "redis-server not found: install Debian's redis-server package (./dev test does)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the Redis tests: {message}")
    pytest.skip(f"REDIS TESTS SKIPPED: {message}")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One Redis for the whole session, stopped at its end."""
    server = RedisServer(redis_binary(), tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    with redis.Redis(port=redis_server.port) as client:
        client.flushdb()
    return redis_server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, which the test may kill and start again."""
    server = RedisServer(redis_binary(), tmp_path)
    server.start()
    yield server
    server.kill()
