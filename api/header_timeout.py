"""uvicorn's httptools protocol with a deadline for a request's headers: a connection that has not sent a
whole request head `HEADER_TIMEOUT` seconds after it opened (or after the first byte of its next request,
on a kept-alive connection) is closed. uvicorn has none (its `--timeout-keep-alive` covers only the idle time
between requests, and any byte resets it), so a client trickling header bytes (slowloris) held a connection,
and its memory, for as long as it liked.

Used by every start command: `--http api.header_timeout:HeaderTimeoutProtocol` in render.yaml and the
Dockerfile (uvicorn 0.54's `--http` takes an import string), and `python -m api`. It imports nothing that
`--http httptools` would not. Cost: a timer armed and cancelled per request (1.75 µs of CPU with uvloop);
the service's CPU per `GET /healthz` is the same with it as without, 186 µs either way, within the noise
of rounds (173-255 µs) (`.venv/bin/python benchmarks/header_timeout.py`, median of 5 rounds of 2200).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from core.config import get_settings


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` that closes a connection whose request head is late (`HEADER_TIMEOUT`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that sends nothing at all is closed too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()
