"""The Redis mode seen from outside: job state as checkpointed in Redis, the commands Redis runs (MONITOR),
worker-only processes, shutdowns bounded in time."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, Protocol, Self

import redis.asyncio as aredis
from redis.asyncio.client import Monitor

from core.config import Settings
from summarizer.backends.redis_keys import job_key, process_key
from summarizer.backends.redis_store import RedisJobStore
from summarizer.cache import unpack
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from tests.support.waiting import eventually, until

STOP_SECONDS = 10  # a process stops in well under a second; a hang fails the test instead of the suite


class RedisClient(Protocol):
    """The commands the tests send, as `redis.asyncio.Redis` answers them (without `decode_responses`).

    redis-py types each command for its blocking and its asyncio client at once (`Awaitable[T] | T`,
    and `str` where `bytes` are accepted too), which mypy cannot await; this is the asyncio side alone."""

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc_info: object) -> None: ...
    async def echo(self, value: str) -> bytes: ...
    async def exists(self, *names: str) -> int: ...
    async def flushdb(self) -> bool: ...
    async def hget(self, name: str, key: str) -> bytes | None: ...
    async def hkeys(self, name: str) -> list[bytes]: ...
    async def hlen(self, name: str) -> int: ...
    async def hset(self, name: str, key: str, value: bytes) -> int: ...
    async def keys(self, pattern: str) -> list[bytes]: ...
    async def llen(self, name: str) -> int: ...
    def monitor(self) -> Monitor: ...
    async def rpush(self, name: str, *values: bytes) -> int: ...
    async def sadd(self, name: str, *values: str) -> int: ...
    async def set(self, name: str, value: bytes) -> bool: ...
    async def scard(self, name: str) -> int: ...
    def scan_iter(self, match: str) -> AsyncIterator[bytes]: ...
    async def sismember(self, name: str, value: str) -> int: ...
    async def smembers(self, name: str) -> builtins.set[bytes]: ...
    async def ttl(self, name: str) -> int: ...
    async def zrange(self, name: str, start: int, end: int) -> list[bytes]: ...


def redis_client(url: str) -> RedisClient:
    """A client of the Redis at `url`, to be used in `async with`."""
    client: RedisClient = aredis.Redis.from_url(url)  # declared without a return type by redis-py
    return client


@asynccontextmanager
async def monitored(redis_url: str) -> AsyncIterator[list[str]]:
    """The commands the Redis at `redis_url` runs while the block runs (MONITOR), as it prints them
    (`GET cache:value:…`). All of them once the block is left: an `ECHO done` sent then through another client
    is waited for, and every command run before it comes before it."""
    commands: list[str] = []

    async def watch() -> None:
        async with redis_client(redis_url) as client, client.monitor() as monitor:
            async for seen in monitor.listen():
                commands.append(seen["command"])

    async def echo(text: str) -> None:
        async with redis_client(redis_url) as client:
            await client.echo(text)

    async def watching_started() -> bool:
        await echo("watching?")
        return "ECHO watching?" in commands

    watching = asyncio.create_task(watch())
    try:
        await eventually(watching_started, "Redis's MONITOR shows the commands")
        yield commands
        await echo("done")
        await until(lambda: "ECHO done" in commands)
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching


async def saved(redis_url: str, job_id: str) -> dict[str, Any] | None:
    """The job's state as checkpointed in Redis."""
    async with redis_client(redis_url) as client:
        data = await client.hget(job_key(job_id), "state")
    return None if data is None else unpack(data)


async def lives(redis_url: str, store: RedisJobStore) -> None:
    """`store`'s process lives (its heartbeat, written here for the test's length)."""
    async with redis_client(redis_url) as redis:
        await redis.set(process_key(store.owner), b"1")


async def saved_status(redis_url: str, job_id: str, status: str) -> bool:
    state = await saved(redis_url, job_id)
    return state is not None and state["status"] == status


async def checkpointed(redis_url: str, job_id: str, chunks: int) -> None:
    """Wait until the job's state in Redis holds `chunks` finished chunks."""

    async def check() -> bool:
        state = await saved(redis_url, job_id)
        return state is not None and len(state["chunks"]) == chunks

    await eventually(check, f"{chunks} chunks checkpointed")


async def stops(stopping: Awaitable[object], what: str) -> None:
    """Await a shutdown, bounded: one that hangs, or ends in an error, is a failure."""
    try:
        async with asyncio.timeout(STOP_SECONDS):
            await stopping
    except TimeoutError:
        raise AssertionError(f"{what} did not stop within {STOP_SECONDS} s") from None
    except asyncio.CancelledError:
        if (task := asyncio.current_task()) is not None and task.cancelling():
            raise  # the test itself is cancelled
        raise AssertionError(f"{what}: CancelledError came out of its shutdown") from None


@asynccontextmanager
async def worker(settings: Settings, runner: InlineRunner) -> AsyncIterator[Engine]:
    """A worker-only process, as `python -m summarizer worker` runs it."""
    engine = Engine.from_settings(settings, runner, serves=False)
    await engine.start()
    try:
        yield engine
    finally:
        await stops(engine.stop(), "a worker")
