"""The REST routes' gate: `X-API-Key` is checked before the body is read, and a JSON body is parsed with
orjson and bounded before it is validated.

FastAPI reads and parses a body (stdlib `json`) before any dependency runs, and validates it whole before
the route can count its parts. Three back-to-back posts of a 4 MB inline transcript of 115,000 tiny
snippets (the limit is 30,000), the service at 0.1 CPU (`benchmarks/bad_input.py --against`, its docstring
has the render-sim command):
- no key set: 5.5-6.7 s each, `/healthz` p50 5.3 s meanwhile; now 0.4-0.8 s each, `/healthz` p50 0.25-0.5 s
  (what remains is orjson's parse: 45 ms of CPU for the 4 MB, `json` took 90 ms, validating it 347 ms);
- a wrong key: 0.7-1.3 s each (the parse), `/healthz` p50 0.7 s; now 0.01-0.04 s, `/healthz` 14 ms.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from core.config import Settings
from summarizer.errors import SummaryError


def check_api_key(settings: Settings, given: str | None) -> None:
    """With `API_KEY` set, a matching `X-API-Key` is needed (compared in constant time)."""
    if settings.api_key and not hmac.compare_digest((given or "").encode(), settings.api_key.encode()):
        raise SummaryError("unauthorized", "A valid X-API-Key header is required.")


class _Parsed(Request):
    """The request with its JSON body already parsed: FastAPI's handler reads `json()` from here."""

    def __init__(self, request: Request, body: bytes, data: Any) -> None:
        super().__init__(request.scope, request.receive)
        self._body = body
        self._json = data


class GuardedRoute(APIRoute):
    """A route whose requests pass the key check, then (with a JSON body) the parse and `bound`."""

    def bound(self, data: Any, settings: Settings) -> None:
        """Raise `SummaryError` when the parsed body is too large to validate; nothing by default."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        has_body = self.body_field is not None

        async def guarded(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            check_api_key(settings, request.headers.get("x-api-key"))
            if not has_body or not (body := await request.body()):
                return await handler(request)
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError as error:  # answered as FastAPI answers it
                raise RequestValidationError(
                    [{"type": "json_invalid", "loc": ("body", error.pos), "msg": "JSON decode error"}]
                ) from None
            self.bound(data, settings)
            return await handler(_Parsed(request, body, data))

        return guarded
