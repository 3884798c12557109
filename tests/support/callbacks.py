"""A receiver of REST callbacks: a real HTTP endpoint that records what it is sent, and checks signatures."""

from __future__ import annotations

import hashlib
import hmac

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SECRET = "test-secret"  # the CALLBACK_SECRET the callbacks are signed with


class Receiver:
    """A real HTTP endpoint that records callbacks and answers with the statuses it is given."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.calls: list[tuple[dict[str, str], bytes]] = []

    async def hook(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), await request.body()))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        headers = {"Location": "http://169.254.169.254/"} if status == 302 else None
        return Response(status_code=status, headers=headers)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])


def verify(headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does with the secret: recompute the HMAC over "<t>." + body."""
    fields = dict(part.split("=", 1) for part in headers["x-signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])
