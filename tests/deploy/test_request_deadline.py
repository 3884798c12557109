"""Slow requests against render.yaml's start command, run for real (api/request_deadline.py): a connection
that trickles its request head is closed `HEADER_TIMEOUT` after it began; one that trickles a body is
answered `408` `BODY_TIMEOUT` after its head arrived (only closed when it was answered before its body), and
a SIGTERM answers it so at once instead of waiting out the shutdown's grace. The same command with
uvicorn's own `--http httptools` keeps such connections open, and the shutdown waiting, so each check is
shown to fail without the deadlines."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import orjson
import pytest

from tests.support.deploy import HTTP, running, start_command

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


def trickled(sock: socket.socket, data: bytes, seconds: float) -> tuple[float, bytes] | None:
    """Send `data` a byte every 0.1 s for at most `seconds`; when the service closed the connection, after
    how long and what it had sent on it; else None."""
    sock.settimeout(0.1)
    began = time.monotonic()
    received = b""
    for byte in data[: int(seconds * 10)]:
        try:
            sock.sendall(bytes([byte]))
            while chunk := sock.recv(1024):
                received += chunk
            return time.monotonic() - began, received  # closed
        except TimeoutError:
            continue  # nothing (more) to read: still open
        except OSError:  # reset: closed
            return time.monotonic() - began, received
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
    with (
        running(command, tmp_path, HEADER_TIMEOUT=str(TIMEOUT)),
        socket.create_connection(("127.0.0.1", port)) as sock,
    ):
        closed = trickled(sock, HEAD + b"X-Slow: " + b"a" * 1000, 4 * TIMEOUT)
    if deadline:
        assert closed is not None and TIMEOUT - 0.1 < closed[0] < 3 * TIMEOUT, closed
        assert closed[1] == b""  # no answer
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
    assert error(closed[1]) == (408, "request_timeout", "The request's body did not arrive within 1.5 s.")
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
    assert error(closed[1])[0] == 413  # the one answer: no 408 after it
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
    assert error(closed[1]) == (408, "request_timeout", "The service is restarting; send the request again.")
    assert "timeout graceful shutdown exceeded" not in output and "ERROR" not in output, output


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
