"""A local stand-in for Discord's REST API: a real HTTP server that records every call.

Serve `FakeDiscord().app` with `tests.support.servers.serve`; point `DISCORD_API_BASE_URL` at `<url>/api/v10`.
`fail_next(status, body)` makes the next call(s) answer with that status instead (a 429 with
`retry_after`, a 503, a 404...), then calls succeed again. `attach(name, content)` keeps a file users
"attached" and returns it as an interaction's `data.resolved.attachments[id]` (its `url` on this server,
as Discord's CDN serves attachments; `GET /attachments/...` answers it).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() when it arrived
    status: int  # what the fake answered


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[tuple[int, Any, dict[str, str]]] = []
        self.changed = asyncio.Event()
        self._ids = itertools.count(1000)
        self.files: dict[str, bytes] = {}  # attachment path → content
        self.downloads: list[str] = []
        self.url = ""  # where this app is served (set by the test), for attachment URLs
        self.app = FastAPI()
        self.app.add_api_route("/api/v10/{path:path}", self._handle, methods=["PATCH", "POST", "PUT"])
        self.app.add_api_route("/attachments/{path:path}", self._attachment, methods=["GET"])

    def attach(self, name: str, content: bytes, size: int | None = None) -> dict[str, Any]:
        """A file as Discord resolves an ATTACHMENT option (`size` as Discord says, else the real one)."""
        attachment_id = str(next(self._ids))
        path = f"{attachment_id}/{name}"
        self.files[path] = content
        return {
            "id": attachment_id,
            "filename": name,
            "size": len(content) if size is None else size,
            "url": f"{self.url}/attachments/{path}?ex=6790a3b1&is=678f5231&hm=0f1e2d",
            "proxy_url": f"{self.url}/attachments/{path}",
            "content_type": "application/x-subrip" if name.endswith(".srt") else "text/plain; charset=utf-8",
        }

    async def _attachment(self, path: str) -> Response:
        self.downloads.append(path)
        if (content := self.files.get(path)) is None:
            return Response(b"Not Found", 404)
        return Response(content, media_type="application/octet-stream")

    def fail_next(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        self.failures.append((status, body, headers or {}))

    def rate_limit_next(self, retry_after: float, is_global: bool = False) -> None:
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        self.fail_next(429, body, {"Retry-After": str(int(retry_after) + 1)})

    def ok_calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.status < 300 and (method is None or c.method == method)]

    async def wait_for(self, check: Any, within: float = 20.0) -> None:
        """Wait until `check(self)` is true (re-checked after every call)."""
        async with asyncio.timeout(within):
            while not check(self):
                self.changed.clear()
                await self.changed.wait()

    async def _handle(self, path: str, request: Request) -> Response:
        body = orjson.loads(await request.body() or b"null")
        status, answer, headers = self.failures.pop(0) if self.failures else (200, None, {})
        if status == 200:
            answer = self._success(request.method, path, body)
        self.calls.append(
            Call(request.method, "/" + path, dict(request.headers), body, time.monotonic(), status)
        )
        self.changed.set()
        return Response(orjson.dumps(answer), status, headers=headers, media_type="application/json")

    def _success(self, method: str, path: str, body: Any) -> Any:
        if method == "PUT":  # command registration answers with the stored commands
            return [{**command, "id": str(next(self._ids))} for command in body]
        return {**body, "id": str(next(self._ids))}
