"""A local Bot API server for tests: real HTTP, the Bot API's JSON shapes, recorded calls, scripted failures.

async with FakeTelegram().running() as fake:   # fake.url is the TELEGRAM_API_BASE_URL
    ...
    fake.fail("editMessageText", "not_modified")
    fake.delay["sendMessage"] = 2.0
    document = fake.add_file("talk.srt", b"1\n00:00:01,000 --> ...")   # getFile + GET /file/bot<token>/<path>
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.servers import serve
from tests.support.waiting import until

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
BOT: dict[str, Any] = {"id": 123456789, "is_bot": True, "first_name": "Summary", "username": "SummaryTestBot"}
# Parameters PTB sends as plain strings; every other value arrives JSON-encoded.
_STRINGS = {"text", "url", "secret_token", "parse_mode", "ip_address", "file_id"}

FAILURES = {
    "not_modified": (
        400,
        "Bad Request: message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message",
    ),
    "not_found": (400, "Bad Request: message to edit not found"),
    "cant_edit": (400, "Bad Request: message can't be edited"),
    "forbidden": (403, "Forbidden: bot was blocked by the user"),
    "too_big": (400, "Bad Request: file is too big"),
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    message_id: int | None = None  # of the message sent or edited
    in_response: bool = False  # the method came back in a webhook's response, not as a call of ours


class FakeTelegram:
    """Bot API methods the service uses, with message state (ids, texts) kept per chat."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.delay: dict[str, float] = {}
        self.messages: dict[tuple[int, int], str] = {}
        self.webhook: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        self._failures: dict[str, list[tuple[str, int]]] = {}
        self._ids = itertools.count(1000)
        self.files: dict[str, tuple[str, bytes]] = {}  # file_id → (file_path, content)
        self.downloads: list[str] = []  # file paths fetched from /file/bot<token>/
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["POST"]),
                Route("/file/bot{token}/{path:path}", self._file, methods=["GET"]),
            ]
        )
        self.url = ""

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeTelegram]:
        async with serve(self.app) as url:
            self.url = url
            yield self

    def fail(self, method: str, kind: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` calls of `method` with an error: `429` (`retry_after`) or `FAILURES`."""
        self._failures.setdefault(method, []).extend([(kind, retry_after)] * times)

    def add_file(self, name: str, content: bytes, size: int | None = None) -> dict[str, Any]:
        """Keep a file users "uploaded"; returns the message's `document` (its `file_size` is `size`, else
        the real one, as Telegram reports it)."""
        file_id = f"BQACAgIAAxkBAAI{next(self._ids)}"
        # A relative path that exists nowhere on disk: PTB reads existing local paths instead of downloading.
        self.files[file_id] = (f"documents/{file_id}/{name}", content)
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "mime_type": "application/x-subrip" if name.endswith(".srt") else "text/plain",
            "file_size": len(content) if size is None else size,
        }

    def called(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(self, method: str, count: int = 1) -> list[Call]:
        """The first `count` calls of `method`, once they have arrived."""
        calls = await until(lambda: self.called(method) if len(self.called(method)) >= count else None)
        return calls[:count]

    def perform(self, answer: dict[str, Any]) -> Call:
        """What Telegram does with a method in a webhook's 2xx response: performs it, tells nobody."""
        params = {key: value for key, value in answer.items() if key != "method"}
        call = Call(answer["method"], params, in_response=True)
        self.calls.append(call)
        handler: Callable[[Call], JSONResponse] = getattr(self, f"_{call.method}")
        handler(call)
        return call

    def outbound(self) -> list[Call]:
        """The calls the service made itself (not the methods it answered webhooks with)."""
        return [call for call in self.calls if not call.in_response]

    async def _endpoint(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = {
            key: value if key in _STRINGS else json.loads(value)
            for key, value in parse_qsl((await request.body()).decode())
        }
        call = Call(method, params)
        self.calls.append(call)  # recorded on arrival, before any delay
        if delay := self.delay.get(method):
            await asyncio.sleep(delay)
        if queued := self._failures.get(method):
            kind, retry_after = queued.pop(0)
            if kind == "429":
                return JSONResponse(
                    {
                        "ok": False,
                        "error_code": 429,
                        "description": f"Too Many Requests: retry after {retry_after}",
                        "parameters": {"retry_after": retry_after},
                    },
                    429,
                    headers={"Retry-After": str(retry_after)},
                )
            return _error(*FAILURES[kind])
        handler: Callable[[Call], JSONResponse] | None = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return handler(call)

    def _message(self, chat_id: int, message_id: int, text: str) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT, "text": text}

    def text(self, call: Call) -> str:
        """The text the message sent or edited by `call` has now."""
        assert call.message_id is not None, f"{call.method} did not succeed"
        return self.messages[int(call.params["chat_id"]), call.message_id]

    def _getMe(self, call: Call) -> JSONResponse:
        return _ok(BOT)

    def _sendMessage(self, call: Call) -> JSONResponse:
        chat_id, text = int(call.params["chat_id"]), call.params["text"]
        call.message_id = next(self._ids)
        self.messages[chat_id, call.message_id] = text
        return _ok(self._message(chat_id, call.message_id, text))

    def _editMessageText(self, call: Call) -> JSONResponse:
        key = (int(call.params["chat_id"]), int(call.params["message_id"]))
        if key not in self.messages:
            return _error(*FAILURES["not_found"])
        if self.messages[key] == call.params["text"]:
            return _error(*FAILURES["not_modified"])
        self.messages[key] = call.params["text"]
        call.message_id = key[1]
        return _ok(self._message(*key, call.params["text"]))

    def _getFile(self, call: Call) -> JSONResponse:
        if (found := self.files.get(call.params["file_id"])) is None:
            return _error(400, "Bad Request: invalid file_id")
        path, content = found
        file = {"file_id": call.params["file_id"], "file_unique_id": "u", "file_size": len(content)}
        return _ok({**file, "file_path": path})

    async def _file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        path = request.path_params["path"]
        self.downloads.append(path)
        content = next((c for p, c in self.files.values() if p == path), None)
        if content is None:
            return _error(404, "Not Found")
        return Response(content, media_type="application/octet-stream")

    def _getWebhookInfo(self, call: Call) -> JSONResponse:
        return _ok(self.webhook)

    def _setWebhook(self, call: Call) -> JSONResponse:
        allowed = call.params.get("allowed_updates")
        self.webhook = {**self.webhook, "url": call.params["url"], "allowed_updates": allowed}
        return _ok(True, "Webhook was set")

    def _deleteWebhook(self, call: Call) -> JSONResponse:
        self.webhook = {**self.webhook, "url": ""}
        self.webhook.pop("allowed_updates", None)
        return _ok(True, "Webhook was deleted")


def _ok(result: Any, description: str | None = None) -> JSONResponse:
    body = {"ok": True, "result": result} | ({"description": description} if description else {})
    return JSONResponse(body)


def _error(status: int, description: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": status, "description": description}, status)
