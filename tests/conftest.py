"""Fixtures shared by the suite: the service's own log output, a real Redis, YouTube's recorded answers,
Telegram's pacing shortened.

Helpers (servers, data, fakes, service builders) are in tests/support/; fixtures only one directory uses
are in that directory's conftest.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import responses

from core import logs
from core.config import get_settings
from tests.support.servers import RedisServer, redis_binary
from tests.support.youtube import recorded_youtube


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


@pytest.fixture
def yt() -> Iterator[responses.RequestsMock]:
    """YouTube answering like in its recorded youtube.html / youtube.innertube.json / transcript.xml, to
    the real youtube-transcript-api (only the network is replaced)."""
    with recorded_youtube() as rsps:
        yield rsps


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


@pytest.fixture
def fast_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Telegram's pacing in seconds would make the suite slow; one test checks the real interval.

    Modules that drive Telegram use it with `pytestmark = pytest.mark.usefixtures("fast_pacing")`."""
    import core.pacing
    import handlers.telegram

    monkeypatch.setattr(core.pacing, "CHAT_INTERVAL", 0.0)
    monkeypatch.setattr(core.pacing, "GROUP_INTERVAL", 0.0)
    monkeypatch.setattr(handlers.telegram, "EDIT_INTERVAL", 0.05)
