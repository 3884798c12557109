"""A local OpenAI-compatible Chat Completions server for tests: real HTTP, streamed or whole answers,
scripted failures (429 with Retry-After, 500, quota, stalls, broken bodies, error events), a pause
mid-stream, recorded requests.

async with FakeLLM().running() as fake:      # fake.url is the LLM_BASE_URL
    fake.fail_next(429, retry_after="7")
    fake.fail_when("some transcript words", 500)
    fake.reply_when("<points>", "not the format asked for")   # a scripted answer
    fake.send_when("<points>", {"choices": "a string"})       # scripted events (or body), any shape
    fake.send_when("<points>", Raw(b"...", {"content-encoding": "gzip"}))  # a body as it is

As a model it is a simple one, and deterministic. An ask call (a question, then numbered passages) gets
`Answer: <text of passage 1> [1].` and a citation of a passage that does not exist. A map call gets `title |
Part at <time of line 1>`, a citation of a line that does not exist, then `n | Point: <text of line n>` for
the first, middle and last lines of the quoted transcript (whatever they say: a sponsor read too). A reduce
call gets a line citing nothing, a citation of a point that does not exist, then `n | TL;DR: <text of point
n>` for as many points as it asks sentences: the first point that says "in this video", then points spread
evenly over the list (first and last included), and `topics | fake topics; <number of points> points;
<sentences> sentences`. Like a gullible model it also writes "HACKED" when a transcript line asks it to.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.servers import serve

LINE = re.compile(r"^\[(\d+)\] \((\d+:)?\d+:\d\d\) (.*)$")  # a numbered line of quoted data
POINT = re.compile(r"^\d+ \| Point: ")  # a map answer's line citing a real line
QUOTA = {"error": {"message": "You exceeded your current quota.", "type": "insufficient_quota"}}
# Answers of another shape than the API's, by name: whether the server streams, then what `send_when` sends.
MALFORMED: dict[str, tuple[bool, list[Any]]] = {
    "choices a string": (True, [{"choices": "a string"}]),
    "a choice a string": (True, [{"choices": ["a string"]}]),
    "an event a list": (True, [["an event"]]),
    "a delta a string": (True, [{"choices": [{"delta": "a string"}]}]),
    "content a list": (True, [{"choices": [{"delta": {"content": ["a list"]}}]}]),
    "whole, content an object": (False, [{"choices": [{"message": {"content": {"text": "an object"}}}]}]),
    "whole, a message a string": (False, [{"choices": [{"message": "a string"}]}]),
    "whole, a list": (False, [["a list"]]),
}


@dataclass(frozen=True)
class Raw:
    """A body `send_when` sends as these bytes with these headers, whatever they say."""

    body: bytes
    headers: dict[str, str]


def _gzipped(content_type: str) -> Raw:
    """A body that says it is gzipped and is not (a proxy that broke it)."""
    return Raw(b"data: not gzip\n\n", {"content-type": content_type, "content-encoding": "gzip"})


# Answers that fail the call though they are of the API's shape or not read as JSON at all, by name, as in
# MALFORMED: a body that cannot be decoded, and a stream that the provider ends with an error event after a
# piece that would be a fine answer on its own (a point for a map call, a cited sentence for a question).
BROKEN: dict[str, tuple[bool, list[Any]]] = {
    "a broken gzip stream": (True, [_gzipped("text/event-stream")]),
    "whole, a broken gzip body": (False, [_gzipped("application/json")]),
    "an error event mid-stream": (
        True,
        [
            {"choices": [{"delta": {"content": "1 | What came before the error [1].\n"}}]},
            {"error": {"message": "Provider returned error", "code": 502}},
        ],
    ),
}


@dataclass
class Failure:
    status: int
    body: Any = None
    retry_after: str | None = None
    stall: bool = False  # never answer (until the server stops)


@dataclass
class FakeLLM:
    stream: bool = True  # False: answer with one JSON body even when asked to stream
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)  # requests whose shape broke the prompt's contract
    pause: asyncio.Event | None = None  # when set: streams stop after their first point until it is set
    paused: int = 0  # streams waiting on `pause`
    url: str = ""
    _next: list[Failure] = field(default_factory=list)
    _when: list[tuple[str, Failure]] = field(default_factory=list)
    _replies: list[tuple[str, str]] = field(default_factory=list)
    _sent: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def fail_next(
        self, status: int, body: Any = None, retry_after: str | None = None, stall: bool = False
    ) -> None:
        """Answer the next request (in arrival order) with this failure."""
        self._next.append(Failure(status, body, retry_after, stall))

    def fail_when(self, text: str, status: int, body: Any = None, stall: bool = False) -> None:
        """Answer every request whose user message contains `text` with this failure."""
        self._when.append((text, Failure(status, body, None, stall)))

    def reply_when(self, text: str, answer: str) -> None:
        """Answer every request whose user message contains `text` with `answer` (the first match counts)."""
        self._replies.append((text, answer))

    def send_when(self, text: str, *events: Any) -> None:
        """Answer every request whose user message contains `text` with `events` as they are, whatever their
        shape: streamed, each one an event (then `[DONE]`); else the first one as the body. A `Raw` first
        event is the body, bytes and headers as they are."""
        self._sent.append((text, events))

    @asynccontextmanager
    async def running(self) -> AsyncIterator[FakeLLM]:
        app = Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])
        async with serve(app) as url:
            self.url = url + "/v1"
            try:
                yield self
            finally:
                self._stop.set()  # stalled and paused answers end, so the server can stop
                if self.pause:
                    self.pause.set()

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        self.headers.append(dict(request.headers))
        system, user = self._check(body)
        asked = str(body["messages"][-1].get("content", "")) if body.get("messages") else ""  # all of it
        failure = next((f for text, f in self._when if text in asked), None)
        if failure is None and self._next:
            failure = self._next.pop(0)
        if failure:
            if failure.stall:
                await self._stop.wait()
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
            return JSONResponse(failure.body or {"error": {"message": "scripted"}}, failure.status, headers)
        if (events := next((sent for text, sent in self._sent if text in asked), None)) is not None:
            if isinstance(events[0], Raw):
                return Response(events[0].body, headers=events[0].headers)
            if body.get("stream") and self.stream:
                return StreamingResponse(_stream(*events), media_type="text/event-stream")
            return JSONResponse(events[0])
        reply = next((answer for text, answer in self._replies if text in asked), None)
        answer = self._answer(system, user) if reply is None else reply
        usage = {
            "prompt_tokens": math.ceil(len(system + user) / 4),
            "completion_tokens": math.ceil(len(answer) / 4),
        }
        if not (body.get("stream") and self.stream):
            message = {"role": "assistant", "content": answer}
            return JSONResponse({"choices": [{"index": 0, "message": message}], "usage": usage})
        return StreamingResponse(self._events(answer, usage), media_type="text/event-stream")

    def _check(self, body: dict[str, Any]) -> tuple[str, str]:
        """The system and user texts; a request that breaks the contract is recorded in `violations`."""
        messages = body.get("messages", [])
        if [m.get("role") for m in messages] != ["system", "user"] or not body.get("max_tokens"):
            self.violations.append(f"messages or max_tokens: {body}")
            return "", ""
        system, user = messages[0]["content"], messages[1]["content"]
        if user.startswith("<question>\n"):  # an ask call: the question, then the passages
            question, _, user = user.partition("\n</question>\n")
            if "<" in question.removeprefix("<question>\n"):
                self.violations.append(f"question block not closed once: {question[:200]}")
        tag = "transcript" if "<transcript>" in user else "points"
        inner = user.removeprefix(f"<{tag}>\n").removesuffix(f"\n</{tag}>")
        if not user.startswith(f"<{tag}>\n") or not user.endswith(f"\n</{tag}>") or f"<{tag}>" in inner:
            self.violations.append(f"user message is not one delimited block: {user[:200]}")
        numbered = [LINE.match(line) for line in inner.splitlines()]
        if not all(numbered) or [int(m[1]) for m in numbered if m] != list(range(1, len(numbered) + 1)):
            self.violations.append(f"a {tag} line is not `[n] (time) text`, numbered from 1: {inner[:200]}")
        if any(LINE.match(line) or line.startswith("(") for line in system.splitlines()):
            self.violations.append("quoted data in the system message")
        return system, inner

    def _answer(self, system: str, inner: str) -> str:
        lines = inner.splitlines()
        texts = [match[3] if (match := LINE.match(line)) else line for line in lines]
        if "question about a YouTube video" in system:
            return f"Answer: {texts[0][:60]} [1]. A citation of no excerpt [{len(lines) + 5}]."
        if "TL;DR" in system:
            asked = re.search(r"Answer with (\d+) sentences", system)
            count = min(int(asked[1]) if asked else 3, len(lines))
            out = ["Here is the TL;DR:", f"{len(lines) + 5} | A sentence citing a point that does not exist."]
            spread = sorted({1 + round(k * (len(lines) - 1) / max(count - 1, 1)) for k in range(count)})
            said = [n for n, text in enumerate(texts, 1) if "in this video" in text.lower()][:1]
            cited = [*said, *(n for n in spread if n not in said)][:count]
            out += [f"{n} | TL;DR: {texts[n - 1][:80]}" for n in cited]
            out.append(f"topics | fake topics; {len(lines)} points; {count} sentences")
            return "\n".join(out) + "\n"
        count = int(re.search(r"at most (\d+) key points", system)[1])  # type: ignore[index]
        time = lines[0].split("(", 1)[1].split(")", 1)[0]
        out = [f"title | Part at {time}", f"{len(lines) + 5} | A point citing a line that does not exist."]
        if any("ignore previous instructions" in line.lower() for line in lines):
            out.insert(0, "HACKED")
        for n in sorted({1, (len(lines) + 1) // 2, len(lines)})[:count]:
            out.append(f"{n} | Point: {texts[n - 1][:80]}")
        return "\n".join(out) + "\n"

    async def _events(self, answer: str, usage: dict[str, int]) -> AsyncIterator[bytes]:
        lines = answer.splitlines(keepends=True)
        first_point = next((n for n, line in enumerate(lines) if POINT.match(line)), -1)
        for number, line in enumerate(lines):
            for piece in (line[: len(line) // 2], line[len(line) // 2 :]):  # points arrive in pieces
                yield event({"choices": [{"index": 0, "delta": {"content": piece}}]})
            if self.pause is not None and number == first_point:
                self.paused += 1  # the first real point is out
                await self.pause.wait()
        async for end in _stream({"choices": [], "usage": usage}):
            yield end


def event(value: Any) -> bytes:
    """`value` as a server-sent event."""
    return b"data: " + orjson.dumps(value) + b"\n\n"


async def _stream(*events: Any) -> AsyncIterator[bytes]:
    """`events`, then the end of the stream."""
    for value in events:
        yield event(value)
    yield b"data: [DONE]\n\n"
