"""What routes depend on, defined once: the settings, the engine and the other parts the lifespan built.

Every dependency here is `async def`: FastAPI runs a plain `def` dependency in its thread pool, a thread
hop per request. None is replaced with `app.dependency_overrides` either: FastAPI analyses an override's
signature again on every request (`inspect.signature` and `eval` of its annotations), 0.4 of the 1.7 ms of
CPU a webhook took (cProfile over 280 in-process webhooks, issue 16); the settings come from `app.state`.
A flood of 50 Telegram webhooks, 20 in flight, at 0.1 CPU
(`sudo .venv/bin/python benchmarks/run.py --quick --service-only --only flood`, 3 runs each) was acked at a
median of 2.5-2.8 s with two such hops on the webhook, 1.6-2.1 s with one (47d1c55), and 0.5-0.8 s with
none.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from api.monitor import Monitor
from core.config import Settings
from core.lazy import Lazy
from core.pacing import Pacer
from core.tasks import BackgroundTasks
from summarizer.engine import Engine

if TYPE_CHECKING:  # imported only when a platform is configured (python-telegram-bot, httpx)
    from bot.discord import DiscordClient
    from bot.telegram import TelegramClient


@dataclass(frozen=True, slots=True)
class Services:
    """The running service's parts, built by the lifespan (api/main.py), kept in `app.state.services`."""

    engine: Engine
    monitor: Monitor  # event-loop lag and CPU throttling
    background: BackgroundTasks  # work a request hands off (a chat update, Discord follow-ups)
    telegram: Lazy[TelegramClient] | None  # built after start-up (api/warmup.py); None: not configured
    discord: DiscordClient | None  # None: Discord is not configured
    pacer: Pacer  # messages to Telegram chats: the client's calls and the webhook's answers
    stopping: asyncio.Event = field(default_factory=asyncio.Event)  # set when the server begins to stop


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_engine(request: Request) -> Engine:
    services: Services = request.app.state.services
    return services.engine


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was made with (api/main.py `create_app`)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
ServicesDep = Annotated[Services, Depends(get_services)]
EngineDep = Annotated[Engine, Depends(get_engine)]
