"""A stand-in for a WebSocket library's protocol, for uvicorn's `--ws` (an import string): the deployed
service has none (uvicorn then answers an upgrade as a plain request), so this shows what a connection
handed over to one meets. It accepts the upgrade (`101`) and then holds the connection, reading nothing."""

from __future__ import annotations

import asyncio
from typing import Any, cast

SWITCHING = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"


class HeldWebSocket(asyncio.Protocol):
    def __init__(self, **_state: Any) -> None:  # (uvicorn passes its config, server state and app state)
        self.transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.WriteTransport, transport)

    def data_received(self, data: bytes) -> None:  # the upgrade request, as uvicorn hands it over
        if self.transport is not None:
            self.transport.write(SWITCHING)
            self.transport = None  # answered once: from now on the connection is only held
