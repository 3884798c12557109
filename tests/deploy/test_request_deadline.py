"""Slow requests against render.yaml's start command, run for real (api/request_deadline.py): a connection
that trickles its request head is closed `HEADER_TIMEOUT` after it began; one that trickles a body is
answered `408` `BODY_TIMEOUT` after its head arrived (only closed when it was answered before its body), and
a SIGTERM answers it so at once instead of waiting out the shutdown's grace (pipelined behind a request
being answered: once that answer is written). The same command with uvicorn's own `--http httptools` keeps
such connections open, and the shutdown waiting, so each check is shown to fail without the deadlines. A
WebSocket upgrade (uvicorn has no WebSocket library here; a stand-in shows what one would meet) is left to
the WebSocket."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest
from starlette.types import Receive, Scope, Send

from tests.support.data import UNCAPTIONED
from tests.support.deploy import HTTP, running, start_command
from tests.support.fake_supadata import API_KEY, FakeSupadata
from tests.support.servers import serve_in_thread
from tests.support.websocket import SWITCHING

TIMEOUT = 1.5  # HEADER_TIMEOUT and BODY_TIMEOUT for these tests (10 s and 180 s deployed)
HEAD = b"POST /telegram/webhook HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
BODY = b'{"url": "' + b"a" * 1000 + b'"}'


def post_head(length: int = len(BODY)) -> bytes:
    """A whole request head of `POST /v1/summaries` with a body of `length` bytes to come."""
    return b"POST /v1/summaries HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n" + (
        b"Content-Length: %d\r\n\r\n" % length
    )


def command_with(http: str = HTTP) -> tuple[list[str], int]:
    """render.yaml's start command with `--http http`, and its port."""
    command = start_command()
    assert command[command.index("--http") + 1] == HTTP
    command[command.index("--http") + 1] = http
    return command, int(command[command.index("--port") + 1])


def trickled(sock: socket.socket, data: bytes, seconds: float) -> bytes | None:
    """Send `data` a byte every 0.1 s for at most `seconds`; when the service closed the connection, what it
    had sent on it; else None."""
    sock.settimeout(0.1)
    received = b""
    for byte in data[: int(seconds * 10)]:
        try:
            sock.sendall(bytes([byte]))
            while chunk := sock.recv(1024):
                received += chunk
            return received  # closed
        except TimeoutError:
            continue  # nothing (more) to read: still open
        except OSError:  # reset: closed
            return received
    return None


def request(sock: socket.socket, head: bytes, body: bytes = b"", pause: float = 0.0) -> bytes:
    """A whole request on `sock`, its head and body in two parts `pause` seconds apart; the whole response."""
    cut = len(head) - 2 if not body else len(head) + len(body) // 2
    sock.sendall((head + body)[:cut])
    time.sleep(pause)
    sock.sendall((head + body)[cut:])
    response = b""
    while b"\r\n\r\n" not in response or len(response.split(b"\r\n\r\n", 1)[1]) < length(response):
        if not (data := sock.recv(1024)):
            break  # closed
        response += data
    return response


def length(response: bytes) -> int:
    """The Content-Length of a response whose head has arrived."""
    for line in response.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def error(response: bytes) -> tuple[int, str, str]:
    """The status of a whole response, and the code and message of its contract error body."""
    head, body = response.split(b"\r\n\r\n", 1)
    assert b"\r\ncontent-type: application/json" in head, response
    found = orjson.loads(body)["error"]
    return int(head.split()[1]), found["code"], found["message"]


@pytest.mark.parametrize("deadline", [True, False], ids=["as-deployed", "httptools"])
def test_a_connection_trickling_its_headers_is_closed_after_the_header_timeout(
    tmp_path: Path, deadline: bool
) -> None:
    command, port = command_with(HTTP if deadline else "httptools")
    head = HEAD + b"X-Slow: " + b"a" * 1000
    part = int(TIMEOUT / 2 * 10)  # bytes sent in TIMEOUT / 2
    with (
        running(command, tmp_path, HEADER_TIMEOUT=str(TIMEOUT)),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        assert trickled(sock, head[:part], TIMEOUT / 2) is None  # within its time: open
        closed = trickled(sock, head[part:], 60 if deadline else 4 * TIMEOUT)
    if deadline:
        assert closed == b""  # closed (None: still open), without an answer
    else:
        assert closed is None  # uvicorn alone: open as long as bytes keep coming


@pytest.mark.parametrize("deadline", [True, False], ids=["as-deployed", "httptools"])
def test_a_request_trickling_its_body_is_answered_408_after_the_body_timeout(
    tmp_path: Path, deadline: bool
) -> None:
    command, port = command_with(HTTP if deadline else "httptools")
    with (
        running(command, tmp_path, HEADER_TIMEOUT=str(TIMEOUT), BODY_TIMEOUT=str(TIMEOUT)) as (_, log, _p),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        sock.sendall(post_head())
        closed = trickled(sock, BODY, 4 * TIMEOUT)
    if not deadline:
        assert closed is None  # uvicorn alone: the request waits as long as bytes keep coming
        return
    assert closed is not None, "still open"
    assert error(closed) == (408, "request_timeout", "The request's body did not arrive within 1.5 s.")
    output = log.read_text()
    assert next(line for line in output.splitlines() if "did not arrive" in line).endswith(
        " WARNING api.request_deadline: POST /v1/summaries: The request's body did not arrive within 1.5 s."
        " (answered 408)"
    )
    assert output.count("did not arrive") == 1 and "ERROR" not in output, (
        output
    )  # the app's read ended quietly


def test_a_request_answered_before_its_body_is_closed_after_the_body_timeout(tmp_path: Path) -> None:
    command, port = command_with()
    with (
        running(command, tmp_path, BODY_TIMEOUT=str(TIMEOUT)) as (_, log, _p),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        sock.sendall(post_head(5_000_000))  # over MAX_BODY_BYTES: 413 at once, the body is not read
        closed = trickled(sock, BODY, 4 * TIMEOUT)
    assert closed is not None, "still open"  # (uvicorn alone: open, as above)
    assert error(closed)[0] == 413  # the one answer: no 408 after it
    assert "POST /v1/summaries: The request's body did not arrive within 1.5 s. (closed)" in log.read_text()


@pytest.mark.parametrize("deadline", [True, False], ids=["as-deployed", "httptools"])
def test_sigterm_answers_a_request_whose_body_is_arriving_at_once(tmp_path: Path, deadline: bool) -> None:
    command, port = command_with(HTTP if deadline else "httptools")
    if not deadline:  # its grace shortened: the length changes only how long this case takes to fail
        command[command.index("--timeout-graceful-shutdown") + 1] = "2"
    with (
        running(command, tmp_path, BODY_TIMEOUT="600") as (_, log, process),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        sock.sendall(post_head())
        assert trickled(sock, BODY[:5], 0.5) is None  # the body is arriving
        process.send_signal(signal.SIGTERM)
        closed = trickled(sock, BODY[5:], 60)  # ended by the shutdown, not by BODY_TIMEOUT
        process.wait(30)
    output = log.read_text()
    if not deadline:  # the shutdown waited for the body until its grace ran out
        assert "timeout graceful shutdown exceeded" in output
        return
    assert closed is not None, "still open"
    assert error(closed) == (408, "request_timeout", "The service is restarting; send the request again.")
    assert "timeout graceful shutdown exceeded" not in output and "ERROR" not in output, output


@contextmanager
def held_supadata() -> Iterator[tuple[dict[str, str], threading.Event, threading.Event]]:
    """Supadata's stand-in (in a thread) holding every call until the second event is set; the settings that
    make the service fetch transcripts from it, and the events: a call arrived, calls go on."""
    arrived, going_on = threading.Event(), threading.Event()
    fake = FakeSupadata()

    async def held(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            arrived.set()
            await asyncio.to_thread(going_on.wait, 60)
        await fake.app(scope, receive, send)

    with serve_in_thread(held) as url:
        settings = {
            "TRANSCRIPT_DIR": "",  # (else the folder is the only provider)
            "TRANSCRIPT_PROVIDERS": "supadata",
            "SUPADATA_API_KEY": API_KEY,
            "SUPADATA_BASE_URL": f"{url}/v1",
            "YOUTUBE_OEMBED_URL": f"{url}/oembed",
        }
        try:
            yield settings, arrived, going_on
        finally:
            going_on.set()


def test_sigterm_answers_a_request_pipelined_behind_one_being_answered_once_that_answer_is_written(
    tmp_path: Path,
) -> None:
    """A question waits for its transcript when SIGTERM comes; behind it on the same connection, a request
    whose body is arriving: the question is answered whole, then that request is answered 408."""
    command, port = command_with()
    question = orjson.dumps({"url": UNCAPTIONED, "question": "What is it about?"})
    ask = b"POST /v1/ask HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
    ask += b"Content-Length: %d\r\n\r\n%s" % (len(question), question)
    with (
        held_supadata() as (settings, arrived, going_on),
        running(command, tmp_path, BODY_TIMEOUT="600", **settings) as (_, log, process),
        socket.create_connection(("127.0.0.1", port), timeout=30) as sock,
    ):
        sock.sendall(ask + post_head() + BODY[:5])
        assert arrived.wait(30)  # the question is being answered
        process.send_signal(signal.SIGTERM)
        for _ in range(3000):  # until the server has asked its connections to end, and waits for them
            if re.search("Waiting for (connections to close|background tasks)", log.read_text()):
                break
            time.sleep(0.01)
        else:
            raise AssertionError(f"the shutdown did not wait for the question: {log.read_text()}")
        going_on.set()
        received = b""
        while data := sock.recv(65536):
            received += data
        process.wait(30)
    assert received.startswith(b"HTTP/1.1 422"), received  # (nothing: the question's answer was cut off)
    cut = received.index(b"\r\n\r\n") + 4 + length(received)
    answer, after = received[:cut], received[cut:]
    assert error(answer)[:2] == (422, "no_transcript")  # the question's answer, whole
    assert error(after) == (408, "request_timeout", "The service is restarting; send the request again.")
    output = log.read_text()
    assert "POST /v1/summaries: The service is restarting; send the request again. (answered 408)" in output
    assert "timeout graceful shutdown exceeded" not in output and "ERROR" not in output, output


UPGRADE = (  # with a body announced that never comes
    b"GET /healthz HTTP/1.1\r\nHost: bot\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Length: 100\r\n\r\n"
)


@pytest.mark.parametrize("websockets", [False, True], ids=["as-deployed", "with-a-websocket-library"])
def test_a_websocket_upgrade_meets_no_request_deadline(tmp_path: Path, websockets: bool) -> None:
    """Deployed, uvicorn has no WebSocket library and answers an upgrade as a plain request. With one, the
    upgrade request is complete with its head, whatever it says of a body (llhttp), so its body's deadline
    ends at once: the connection is the WebSocket's, and nothing ends it or writes on it."""
    command, port = command_with()
    if websockets:
        command += ["--ws", "tests.support.websocket:HeldWebSocket"]
    with (
        running(command, tmp_path, HEADER_TIMEOUT=str(TIMEOUT), BODY_TIMEOUT=str(TIMEOUT)) as (_, log, _p),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        sock.sendall(UPGRADE)
        sock.settimeout(0.1)
        received = b""
        for _ in range(int(3 * TIMEOUT * 10)):  # past the body's deadline
            try:
                if not (data := sock.recv(1024)):
                    break  # closed
                received += data
            except TimeoutError:
                continue
    if websockets:
        assert received == SWITCHING  # and nothing after it
    else:
        assert received.startswith(b"HTTP/1.1 200 OK") and received.endswith(b'{"status":"ok"}')
    output = log.read_text()
    assert "ERROR" not in output and "Traceback" not in output, output


def test_whole_requests_and_kept_alive_connections_are_not_cut(tmp_path: Path) -> None:
    command, port = command_with()
    get = b"GET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n"
    with (
        running(command, tmp_path, HEADER_TIMEOUT=str(TIMEOUT), BODY_TIMEOUT=str(TIMEOUT)),
        socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
    ):
        assert request(sock, get, pause=TIMEOUT / 5).startswith(b"HTTP/1.1 200")  # slow, but within it
        time.sleep(1.5 * TIMEOUT)  # idle between requests: uvicorn's keep-alive (5 s) decides
        answer = request(sock, post_head(), BODY, pause=TIMEOUT / 5)  # its body slow, but within it
        assert error(answer)[:2] == (422, "invalid_url")  # read whole and answered
        time.sleep(1.5 * TIMEOUT)  # the body's deadline ended with it
        assert request(sock, get).startswith(b"HTTP/1.1 200")
