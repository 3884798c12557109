"""`GET /metrics` (Prometheus text, optionally behind `METRICS_TOKEN`) and the ack-latency middleware.

The metric objects live in core/telemetry.py; docs/operations.md explains each family.
"""

from __future__ import annotations

import hmac
import time
from typing import Annotated

from fastapi import APIRouter, Header
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import ServicesDep, SettingsDep
from api.errors import error_response
from api.health import checks
from api.schemas import error_doc
from core.acks import AckGate
from core.config import Settings
from core.telemetry import ACK_SECONDS, DEGRADED, QUEUE_CAPACITY, QUEUE_JOBS, REGISTRY

# The requests each platform must answer quickly: their ack is what users (and Discord's 3 s) wait for.
ACK_ROUTES = {
    ("POST", "/v1/summaries"): "rest",
    ("POST", "/telegram/webhook"): "telegram",
    ("POST", "/discord/interactions"): "discord",
}

# Set in the scope of api/warmup.py's in-process requests: not acks, not timed.
WARM_UP = "ytsum.warm_up"

router = APIRouter(tags=["health"])


class AckTimer:
    """Pure ASGI middleware: observes `ytsum_ack_seconds{platform}`, the time from a request's arrival
    to its response headers, for the routes in `ACK_ROUTES`, and holds them in `gate` meanwhile (outbound
    calls wait for them, core/acks.py). Other requests pass untouched, the first one marking the port open."""

    def __init__(self, app: ASGIApp, gate: AckGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get(WARM_UP):
            await self.app(scope, receive, send)
            return
        platform = ACK_ROUTES.get((scope["method"], scope["path"]))
        if platform is None:
            self.gate.answered.set()
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        histogram = ACK_SECONDS.labels(platform)
        gate = self.gate
        gate.enter()
        acked = False

        async def timed_send(message: Message) -> None:
            nonlocal acked
            if message["type"] == "http.response.start":
                histogram.observe(time.perf_counter() - began)
                acked = True
                gate.leave()
                gate.answered.set()
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            if not acked:
                gate.leave()


def authorized(settings: Settings, authorization: str | None) -> bool:
    """True without `METRICS_TOKEN`, else for `Bearer <token>` (compared in constant time)."""
    if not settings.metrics_token:
        return True
    expected = f"Bearer {settings.metrics_token}".encode()
    return hmac.compare_digest((authorization or "").encode(), expected)


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus text exposition format (docs/operations.md lists the families).",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        401: error_doc("`unauthorized`: `METRICS_TOKEN` is set and the bearer token is missing or wrong."),
    },
)
async def metrics(
    services: ServicesDep,
    settings: SettingsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Response:
    """The service's metrics; the queue and degradation gauges are read from the engine now."""
    if not authorized(settings, authorization):
        return error_response(
            "unauthorized",
            "GET /metrics needs the header `Authorization: Bearer <METRICS_TOKEN>`.",
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    queue = await services.engine.queue_state()
    QUEUE_JOBS.labels("waiting").set(queue["waiting"])
    QUEUE_JOBS.labels("running").set(queue["running"])
    QUEUE_CAPACITY.set(queue["max"])
    for reason, bad in (await checks(services, settings)).items():
        DEGRADED.labels(reason).set(bad)
    # The 0.0.4 text format: what every Prometheus version reads (our names need nothing newer).
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_PLAIN_0_0_4)
