"""uvicorn's httptools protocol with deadlines for a request to arrive: its head within `HEADER_TIMEOUT`
seconds, then its body within `BODY_TIMEOUT`. uvicorn has neither (its `--timeout-keep-alive` covers only the
idle time between requests, and any byte resets it), so a client trickling header bytes (slowloris) or body
bytes (slow POST) held a connection, and its memory, for as long as it liked; a trickled body also held a
SIGTERM's shutdown for its whole grace (`--timeout-graceful-shutdown`, 20 s).

- Head: a connection that has not sent a whole request head `HEADER_TIMEOUT` after it opened (or after the
  first byte of its next request, on a kept-alive connection) is closed, without an answer.
- Body: a request whose body has not all arrived `BODY_TIMEOUT` after its head did is answered `408` with
  the contract's error body (`request_timeout`) when no answer to it has begun, and the connection is
  closed; the app's read of the body then ends as a disconnect, and what it answers is dropped. When an
  answer has begun (a `401` or `413` sent before the body was read), or an earlier pipelined request's
  answer is still being written, the connection is only closed. Either way one warning is logged.
- SIGTERM: a request whose body is still arriving is answered so at once, "the service is restarting"
  (`408`: RFC 9110 lets a client send it again, and the next process takes it), instead of holding the
  shutdown; pipelined behind requests being answered, once their answers are written (it is not started).
  Requests whose bodies have arrived keep the grace to be answered.

The body's deadline counts the client's time: beyond 64 KiB uvicorn stops reading until the app takes what
came, and the app reads a body as soon as the checks that answer without it have passed (api/guard.py, the
webhooks). Only a pipelined request waits on the server (uvicorn reads nothing of it until the answer
before it is written), and is then closed, not answered.

Used by every start command: `--http api.request_deadline:RequestDeadlineProtocol` in render.yaml and the
Dockerfile (uvicorn 0.54's `--http` takes an import string), and `python -m api`. It imports only what the
app imports anyway. Cost: two timers armed and cancelled per request, one for the head and one for the body
(2.3-3.7 µs of CPU each with uvloop, `loop.call_later(10, f).cancel()`, on a loaded machine); the service's
CPU per `GET /healthz` is the same with them as without, within the noise: 264 µs against 259 (medians of
9 rounds of 2200, one tick of /proc's 10 ms clock apart; rounds 195-327 and 214-314;
`.venv/bin/python benchmarks/request_deadline.py --rounds 9`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.errors import error_body
from core.config import get_settings

log = logging.getLogger(__name__)

RESTARTING = "The service is restarting; send the request again."


class RequestDeadlineProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` ending a request whose head (`HEADER_TIMEOUT`) or body (`BODY_TIMEOUT`) is late."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = get_settings()
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self._deadline: asyncio.TimerHandle | None = None
        self._body_arriving = False
        self._stopping = False  # SIGTERM: the server is shutting down

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout, self._head_late)  # one that sends nothing at all is closed too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm(self.header_timeout, self._head_late)  # kept alive: from the next request's first byte

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        # A request without a body completes in the same parse, which disarms this at once; so does a
        # WebSocket upgrade (for which super() made no cycle), whatever its headers say of a body: llhttp
        # completes it with its head, and what follows is the WebSocket's
        # (tests/deploy/test_request_deadline.py).
        self._body_arriving = True
        self._arm(self.body_timeout, self._body_late)

    def on_message_complete(self) -> None:
        self._body_arriving = False
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        if (
            self._stopping
            and self._body_arriving
            and len(self.pipeline) == 1
            and not self.transport.is_closing()
        ):
            # Stopping, and the answers pipelined before the request whose body is arriving are written: that
            # request, next, is answered instead of started (`shutdown`).
            self.pipeline.clear()
            self._disarm()
            self._end_request(RESTARTING)
        super().on_response_complete()  # (counts the answer; the connection closing, starts nothing)

    def shutdown(self) -> None:
        self._stopping = True
        if self._body_arriving and not self.pipeline and not self.transport.is_closing():
            self._disarm()
            self._end_request(RESTARTING)
        else:  # (a request whose body is arriving behind pipelined ones: `on_response_complete` answers it)
            super().shutdown()

    def _arm(self, seconds: float, expired: Callable[[], None]) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(seconds, expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_late(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _body_late(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self._end_request(f"The request's body did not arrive within {self.body_timeout:g} s.")

    def _end_request(self, message: str) -> None:
        """Answer the request whose body is arriving `408` with `message` (unless an answer is being written
        on this connection already: its own, or a pipelined earlier request's) and close the connection."""
        cycle = self.cycle
        answered = cycle.response_started or bool(self.pipeline)
        if not answered:
            body = error_body("request_timeout", message)
            head = [STATUS_LINE[408]]
            head += [name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers]
            head.append(b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body))
            self.transport.write(b"".join(head) + b"connection: close\r\n\r\n" + body)
        cycle.disconnected = True  # the app's reads of the body end, what it answers is dropped
        cycle.message_event.set()
        self.transport.close()
        outcome = "closed" if answered else "answered 408"
        log.warning("%s %s: %s (%s)", cycle.scope["method"], cycle.scope["path"], message, outcome)
