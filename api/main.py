"""The ASGI application: `uvicorn api.main:app` runs the whole service.

The lifespan builds the platform clients, then the engine with how each kind of sink is shown here
(its displays), and starts it; on SIGTERM it stops them in reverse. Logging is set up once, at import
(LOG_FORMAT, LOG_LEVEL; core/logs.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

import handlers.discord
import handlers.telegram
from api import discord, health, metrics, summaries, telegram
from api.body_limit import BodyLimitMiddleware
from api.deps import Services
from api.errors import install_error_handlers
from api.monitor import Monitor
from bot.callbacks import CallbackSender
from core import logs
from core.config import Settings, get_settings
from core.tasks import BackgroundTasks
from core.telemetry import own_cgroup
from summarizer.cpu_process import Runner
from summarizer.engine import Engine
from summarizer.sinks import CallbackSink, DiscordSink, Displays, TelegramSink


def create_app(settings: Settings | None = None, runner: Runner | None = None) -> FastAPI:
    """The app; `settings` and `runner` replace the environment's settings and the CPU process."""
    settings = settings or get_settings()
    logs.hide(*settings.secret_values())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        monitor = Monitor(own_cgroup())
        monitor.start()
        background = BackgroundTasks()
        callbacks = CallbackSender(
            settings.callback_secret,
            settings.callback_allow_hosts,
            settings.callback_timeout,
            settings.callback_give_up_after,
        )
        discord_client = discord.start(settings)
        telegram_client = telegram.start(settings, background)
        displays = Displays().add(CallbackSink, callbacks.show)
        if telegram_client is not None:
            displays.add(TelegramSink, partial(handlers.telegram.show, client=telegram_client))
        if discord_client is not None:
            displays.add(DiscordSink, partial(handlers.discord.show, discord=discord_client))
        engine = Engine.from_settings(
            settings,
            runner,
            displays=displays,
            overloaded=partial(monitor.overload, settings.readyz_max_loop_lag),
        )
        app.state.services = Services(engine, monitor, background, telegram_client, discord_client)
        await engine.start()  # shows again what a process that is gone was showing: the clients come first
        try:
            yield
        finally:
            await background.close()
            await engine.stop()  # its displays first, then the jobs
            await callbacks.close()
            if telegram_client is not None:
                await telegram_client.close()
            if discord_client is not None:
                await discord_client.close()
            await monitor.stop()

    app = FastAPI(
        title="YouTube summary bot",
        version="0.1.0",
        summary="Timestamped summaries of YouTube videos for Telegram, Discord and REST clients.",
        lifespan=lifespan,
    )
    app.dependency_overrides[get_settings] = partial(
        _settings, settings
    )  # async: no thread hop (api/deps.py)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(metrics.AckTimer)  # added last = outermost: the ack time includes every layer
    app.include_router(summaries.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(discord.router)
    app.include_router(telegram.router)
    return app


async def _settings(settings: Settings) -> Settings:
    return settings


logs.configure(get_settings().log_level, get_settings().log_format)
app = create_app()
