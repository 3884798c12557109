"""Real servers for the tests: an app under uvicorn on a free loopback port, a throwaway `redis-server`, and
ways in to one that die at a chosen point (`DyingRedis`) or hold its answers (`GatedRedis`)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, Self

import pytest
import redis
import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@asynccontextmanager
async def serve(app: ASGIApp, **options: Any) -> AsyncIterator[str]:
    """Run `app` (lifespan included) under uvicorn on a free loopback port; yield its base URL.

    `options` go to `uvicorn.Config` (e.g. the deployment's `proxy_headers`)."""
    config = {"log_level": "warning"} | options | {"host": "127.0.0.1", "port": 0}
    server = uvicorn.Server(uvicorn.Config(app, **config))
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


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """`serve` in a thread of its own, for synchronous callers (hypothesis, schemathesis)."""
    started, stop = threading.Event(), None
    url: list[str] = []

    async def run() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with serve(app) as address:
            url.append(address)
            started.set()
            await stop.wait()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    assert started.wait(30)
    try:
        yield url[0]
    finally:
        loop.call_soon_threadsafe(stop.set)  # type: ignore[union-attr]
        thread.join(30)


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


class RedisLink:
    """A loopback way in to a real `redis-server` on `port`: each read is passed on to the other side;
    what happens around an answer (a read of what the server sent) is the subclass's (`_answering`,
    `_answered`)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self.url = ""
        self._closed = False
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._links: set[asyncio.Task[Any]] = set()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        self.url = f"redis://127.0.0.1:{self._server.sockets[0].getsockname()[1]}/0"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._close()
        await asyncio.gather(*self._links, return_exceptions=True)

    def _close(self) -> None:
        """Stop listening and close every connection through it."""
        assert self._server is not None
        self._closed = True
        self._server.close()
        for writer in self._writers:
            writer.close()

    async def _answering(self) -> None:
        """Before an answer is passed on (here: at once, within the same step of the event loop)."""

    def _answered(self) -> None:
        """After an answer was passed on."""

    async def _link(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if (task := asyncio.current_task()) is not None:
            self._links.add(task)
        self._writers.append(client_writer)
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", self._port)
        self._writers.append(server_writer)
        await asyncio.gather(
            self._pass(client_reader, server_writer, answers=False),
            self._pass(server_reader, client_writer, answers=True),
            return_exceptions=True,
        )

    async def _pass(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answers: bool) -> None:
        while (data := await reader.read(65536)) and not self._closed:
            if answers:
                await self._answering()
            writer.write(data)
            if answers:
                self._answered()
        writer.close()


class DyingRedis(RedisLink):
    """A way in to a real `redis-server` on `port` that dies right after passing on its `answers`-th answer:
    every connection through it is closed and it stops listening, so its client's next command fails as if
    Redis had gone, while the server keeps what it was sent (for the test to read). An answer passed on is
    the client's: it is written before the connections are closed, within one step of the event loop, so the
    client cannot send more in between. `died` tells whether it did (the client's work took fewer answers
    otherwise)."""

    def __init__(self, port: int, answers: int) -> None:
        super().__init__(port)
        self._left = answers
        self.died = False

    def _answered(self) -> None:
        self._left -= 1
        if self._left == 0:
            self.died = True
            self._close()


class GatedRedis(RedisLink):
    """A way in to a real `redis-server` on `port` that holds every answer while `open` is clear: its
    client's commands take as long as the test likes, as with a slow Redis (Render's at 0.1 CPU)."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.open = asyncio.Event()
        self.open.set()

    async def _answering(self) -> None:
        await self.open.wait()

    def _close(self) -> None:
        self.open.set()  # (what it holds ends)
        super()._close()
