"""Slow headers (slowloris) against render.yaml's start command, run for real: a connection that trickles its
request head is closed `HEADER_TIMEOUT` after it began (api/header_timeout.py). The same command with
uvicorn's own `--http httptools` keeps it open, so the check is shown to fail without the deadline."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.support.deploy import HTTP, running, start_command

TIMEOUT = 1.5  # HEADER_TIMEOUT for these tests (10 s deployed)
HEAD = b"POST /telegram/webhook HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"


def trickled_for(port: int, seconds: float) -> float | None:
    """Send a request head a byte every 0.1 s for at most `seconds`; when the service closed it, else None."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(0.1)
        began = time.monotonic()
        for byte in (HEAD + b"X-Slow: " + b"a" * 1000)[: int(seconds * 10)]:
            try:
                sock.sendall(bytes([byte]))
                if sock.recv(1024) == b"":
                    return time.monotonic() - began
            except TimeoutError:
                continue  # nothing to read: still open
            except OSError:  # reset: closed
                return time.monotonic() - began
    return None


def request(sock: socket.socket, pause: float = 0.0) -> bytes:
    """A whole `GET /healthz` on `sock`, its head in two parts `pause` seconds apart; the whole response."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: bot\r\n")
    time.sleep(pause)
    sock.sendall(b"\r\n")
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


@pytest.mark.parametrize("deadline", [True, False], ids=["as-deployed", "httptools"])
def test_a_connection_trickling_its_headers_is_closed_after_the_header_timeout(
    tmp_path: Path, deadline: bool
) -> None:
    command = start_command()
    assert command[command.index("--http") + 1] == HTTP
    if not deadline:
        command[command.index("--http") + 1] = "httptools"
    port = int(command[command.index("--port") + 1])
    with running(command, tmp_path, HEADER_TIMEOUT=str(TIMEOUT)):
        closed_after = trickled_for(port, 4 * TIMEOUT)
    if deadline:
        assert closed_after is not None and TIMEOUT - 0.1 < closed_after < 3 * TIMEOUT, closed_after
    else:
        assert closed_after is None  # uvicorn alone: open as long as bytes keep coming


def test_whole_requests_and_kept_alive_connections_are_not_cut(tmp_path: Path) -> None:
    command = start_command()
    port = int(command[command.index("--port") + 1])
    with (
        running(command, tmp_path, HEADER_TIMEOUT=str(TIMEOUT)),
        socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
    ):
        assert request(sock, pause=TIMEOUT / 5).startswith(b"HTTP/1.1 200")  # slow, but within it
        time.sleep(1.5 * TIMEOUT)  # idle between requests: uvicorn's keep-alive (5 s) decides
        assert request(sock).startswith(b"HTTP/1.1 200")
