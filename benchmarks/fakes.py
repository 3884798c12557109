"""Stand-ins for the Telegram Bot API and Discord's REST API, and the requests those platforms send.

The service under test calls `TELEGRAM_API_BASE_URL` / `DISCORD_API_BASE_URL`; both point here, on the
loopback, so no call leaves the machine. Every call answers 200 with a plausible body.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

import orjson
import uvicorn
from nacl.signing import SigningKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TELEGRAM_TOKEN = "123456789:benchmark-token-not-real"
TELEGRAM_SECRET = "benchmark-secret"
DISCORD_APPLICATION_ID = "100000000000000001"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Bench", "username": "BenchBot"}


class FakePlatforms:
    """One Starlette app answering both APIs; keeps the texts sent or edited per Telegram chat."""

    def __init__(self) -> None:
        self.texts: defaultdict[int, list[str]] = defaultdict(list)
        self.calls = 0
        self._ids = itertools.count(1)
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._telegram, methods=["GET", "POST"]),
                Route(
                    "/api/v10/{path:path}", self._discord, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]
                ),
            ]
        )

    async def _telegram(self, request: Request) -> Response:
        self.calls += 1
        method = request.path_params["method"]
        params = await _params(request)
        chat_id = _int(params.get("chat_id"))
        if method == "getMe":
            result: Any = BOT
        elif method in ("sendMessage", "editMessageText"):
            self.texts[chat_id].append(str(params.get("text", "")))
            message_id = _int(params.get("message_id")) or next(self._ids)
            chat = {"id": chat_id, "type": "private"}
            result = {"message_id": message_id, "date": int(time.time()), "chat": chat, "text": ""}
        else:
            result = True
        return Response(orjson.dumps({"ok": True, "result": result}), media_type="application/json")

    async def _discord(self, request: Request) -> Response:
        self.calls += 1
        body = {"id": str(next(self._ids)), "content": "", "channel_id": "1"}
        return Response(orjson.dumps(body), media_type="application/json")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        """Serve on a free loopback port; yield the base URL."""
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


async def _params(request: Request) -> dict[str, Any]:
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        params: dict[str, Any] = json.loads(body or b"{}")
        return params
    return dict(parse_qsl(body.decode()))


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


class Platforms:
    """Builds the webhooks Telegram and Discord would send (fresh ids; Discord requests signed)."""

    def __init__(self) -> None:
        self.key = SigningKey.generate()
        self._ids = itertools.count(1)

    @property
    def discord_public_key(self) -> str:
        return self.key.verify_key.encode().hex()

    def telegram(self, text: str, chat_id: int) -> tuple[bytes, dict[str, str]]:
        """A private-chat message update, and the secret-token header Telegram adds."""
        n = next(self._ids)
        user = {"id": chat_id, "is_bot": False, "first_name": "Bench"}
        message = {
            "message_id": n,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Bench"},
            "from": user,
            "text": text,
        }
        body = orjson.dumps({"update_id": n, "message": message})
        return body, {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET, "Content-Type": "application/json"}

    def discord(self, url: str, user_id: int) -> tuple[bytes, dict[str, str]]:
        """A signed `/summarize url:<url>` slash command."""
        n = next(self._ids)
        interaction = {
            "id": str(n),
            "application_id": DISCORD_APPLICATION_ID,
            "type": 2,
            "token": f"token-{n}",
            "version": 1,
            "channel_id": "1",
            "user": {"id": str(user_id), "username": "bench"},
            "data": {
                "id": "1",
                "name": "summarize",
                "type": 1,
                "options": [{"name": "url", "type": 3, "value": url}],
            },
        }
        body = orjson.dumps(interaction)
        timestamp = str(int(time.time()))
        signature = self.key.sign(timestamp.encode() + body).signature.hex()
        headers = {
            "X-Signature-Ed25519": signature,
            "X-Signature-Timestamp": timestamp,
            "Content-Type": "application/json",
        }
        return body, headers
