"""After start-up, while no ack is in flight: build what the first updates would otherwise wait for.

The lifespan builds nothing an ack does not need, so the port opens sooner (the platform clients'
python-telegram-bot and httpx: ~0.3 s of CPU, 3 s of wall time at 0.1 CPU). Once the service has
had its first request (Render's health check) and no ack has come or gone for `SETTLE` seconds,
this imports them in a worker thread (core/lazy.py), builds the clients, learns the bot's @username
(so group messages and commands are answered in the webhook's response too) and registers the webhook.
"""

from __future__ import annotations

from api import telegram
from api.deps import Services
from core.acks import AckGate
from core.config import Settings

SETTLE = 0.5  # seconds without ack activity before warming
# Render's health check is the first request; without one (run by hand, in tests) warm up after this long.
FIRST_REQUEST_WITHIN = 3.0


async def warm_up(services: Services, settings: Settings, gate: AckGate) -> None:
    await gate.settled(SETTLE, FIRST_REQUEST_WITHIN)
    if services.discord is not None:
        await services.discord.warm()
    if services.telegram is not None:
        await telegram.warm(services.telegram, settings)
