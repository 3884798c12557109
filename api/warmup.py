"""After start-up, while no ack is in flight: build what the first updates would otherwise wait for.

The lifespan builds nothing an ack does not need, so the port opens sooner: the platform clients
(python-telegram-bot and httpx, ~0.2 s of CPU, 2 s of wall time at 0.1 CPU) and the first job's outline
step (~4 ms) wait. Once the service has had its first request (Render's health check) and no ack has come
or gone for `SETTLE` seconds, this
- sends one in-process request to each ack route (refused: no secret, no signature, an empty body):
  FastAPI builds a route's dependencies and models on the first request that reaches it;
- imports the rest and builds the clients in worker threads (core/lazy.py), whose imports pause while an
  ack is in flight (`AckGate.yielding_imports`), learns the bot's @username (so group messages and
  commands are answered in the webhook's response too) and registers the webhook.

`.venv/bin/python benchmarks/start_cpu.py` (Telegram and Discord configured, CPU ms, median of 5 on a
loaded 2-core machine; `--root` an older checkout): before the port opens 678 before issue 16, 331 now;
the first webhook 5.1 ms at once, 2.3 ms after the warm-up (5.5 before issue 16). A webhook sent while
the warm-up runs (`benchmarks/first_webhook.py --delay 1.5`, render-sim at 0.1 CPU): docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from starlette.types import ASGIApp, Message

from api import telegram
from api.deps import Services
from api.metrics import ACK_ROUTES, WARM_UP
from core.acks import AckGate
from core.config import Settings
from core.cpu_budget import cpu_limit

SETTLE = 0.5  # seconds without ack activity before warming
# Render's health check is the first request; without one (run by hand, in tests) warm up after this long.
FIRST_REQUEST_WITHIN = 3.0


async def warm_up(app: ASGIApp, services: Services, settings: Settings, gate: AckGate) -> None:
    await gate.settled(SETTLE, FIRST_REQUEST_WITHIN)
    for method, path in ACK_ROUTES:
        await request(app, method, path)
    # The threads' imports pause while an ack is in flight, and use at most half the CPU quota.
    quota = cpu_limit()
    with gate.yielding_imports(share=quota / 2 if quota else None):
        # What the first job imports (summarizer/engine.py), in a thread like the clients' imports.
        await asyncio.to_thread(importlib.import_module, "summarizer.outline")
        if services.discord is not None:
            await services.discord.warm()
        if services.telegram is not None:
            await telegram.warm(services.telegram, settings)


async def request(app: ASGIApp, method: str, path: str, body: bytes = b"{}") -> int:
    """One in-process request through the whole app (no socket, no access log); its status."""
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])

    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        WARM_UP: True,
    }
    await app(scope, receive, send)
    return status
