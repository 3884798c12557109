"""What routes depend on, defined once: the settings, the engine and the other parts the lifespan built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from api.monitor import Monitor
from core.config import Settings, get_settings
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
    telegram: TelegramClient | None  # None: Telegram is not configured
    discord: DiscordClient | None  # None: Discord is not configured


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def get_engine(request: Request) -> Engine:
    return get_services(request).engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServicesDep = Annotated[Services, Depends(get_services)]
EngineDep = Annotated[Engine, Depends(get_engine)]
