"""The ASGI application: `uvicorn api.main:app` runs the whole service.

The lifespan starts the engine (queue workers and the summarizer process) and stops it on SIGTERM.
Logging is set up once, at import (LOG_FORMAT, LOG_LEVEL; summarizer/logs.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from api import discord, health, metrics, sinks, summaries, telegram
from api.background import BackgroundTasks
from api.body_limit import BodyLimitMiddleware
from api.errors import install_error_handlers
from api.monitor import Monitor
from api.settings import Settings, get_settings
from bot.callbacks import CallbackSender
from summarizer import logs
from summarizer.engine import Engine, Runner
from summarizer.telemetry import own_cgroup


def create_app(settings: Settings | None = None, runner: Runner | None = None) -> FastAPI:
    """The app; `settings` and `runner` replace the environment's settings and the worker process."""
    settings = settings or get_settings()
    logs.hide(*settings.secret_values())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.monitor = Monitor(own_cgroup())
        app.state.monitor.start()
        app.state.background = BackgroundTasks()
        app.state.callbacks = CallbackSender(
            settings.callback_secret,
            settings.callback_allow_hosts,
            settings.callback_timeout,
            settings.callback_give_up_after,
        )
        app.state.discord = discord.start(settings)
        await telegram.start(app, settings)
        engine = Engine.from_settings(settings, runner)
        engine.overloaded = partial(app.state.monitor.overload, settings.readyz_max_loop_lag)
        engine.on_sink = partial(sinks.start, app)
        app.state.engine = engine
        await engine.start()  # shows again what a process that is gone was showing: the clients come first
        try:
            yield
        finally:
            await app.state.background.close()
            await app.state.callbacks.close()
            await telegram.stop(app)
            if app.state.discord:
                await app.state.discord.close()
            await engine.stop()
            await app.state.monitor.stop()

    app = FastAPI(
        title="YouTube summary bot",
        version="0.1.0",
        summary="Timestamped summaries of YouTube videos for Telegram, Discord and REST clients.",
        lifespan=lifespan,
    )
    app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(metrics.AckTimer)  # added last = outermost: the ack time includes every layer
    app.include_router(summaries.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(discord.router)
    app.include_router(telegram.router)
    return app


logs.configure(get_settings().log_level, get_settings().log_format)
app = create_app()
