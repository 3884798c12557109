"""The ASGI application: `uvicorn api.main:app` runs the whole service.

The lifespan builds the platform clients, then the engine with how each kind of sink is shown here
(its displays), and starts it; on SIGTERM it stops them in reverse. Logging is set up once, at import
(LOG_FORMAT, LOG_LEVEL; core/logs.py).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from importlib import import_module

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

import handlers.discord
from api import ask, discord, health, metrics, summaries, telegram
from api.body_limit import BodyLimitMiddleware
from api.client_address import ClientAddressMiddleware
from api.deps import Services
from api.errors import install_error_handlers
from api.monitor import Monitor
from api.schemas import error_doc
from api.stopping import stop_signals
from api.warmup import warm_up
from bot.callbacks import CallbackSender
from core import logs
from core.acks import AckGate
from core.config import Settings, get_settings
from core.pacing import Pacer
from core.tasks import STOP_GRACE, BackgroundTasks
from core.telemetry import own_cgroup
from summarizer.cpu_process import Runner
from summarizer.engine import Engine
from summarizer.sinks import CallbackSink, DiscordSink, Displays, TelegramSink

# The pages for people (api/pages.py) and the service's state (api/state.py) are imported on their first
# request, not with the app: 1.0 ms of CPU off every cold start (`benchmarks/imports.py api.pages
# api.state`); registering their routes costs 0.4 ms (`time.process_time()` around `create_app()`, median
# of 60). The page routes are plain Starlette routes, left out of the OpenAPI schema (docs/api.md has the
# JSON ones): FastAPI analyses each of its routes and resolves parameters on every request.
PAGES = {
    "/": "home",
    "/status": "status_page",
    "/static/{name}": "static",
    "/s/{job_id}": "summary_page",
    "/s/{job_id}/job": "summary_job",
    "/s/{job_id}/events": "summary_events",
}
STATE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "What is set up, what is wrong, the queue and this process (docs/api.md)."},
    401: error_doc("`unauthorized`: `METRICS_TOKEN` is set and the bearer token is missing or wrong."),
}


def create_app(settings: Settings | None = None, runner: Runner | None = None) -> FastAPI:
    """The app; `settings` and `runner` replace the environment's settings and the CPU process."""
    settings = settings or get_settings()
    logs.hide(*settings.secret_values())
    gate = AckGate()  # platform requests in flight: outbound calls wait for them (core/acks.py)

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
        # Neither client imports its HTTP stack now: the port opens first (api/warmup.py builds them).
        discord_client = discord.start(settings, gate)
        pacer = Pacer()
        telegram_client = telegram.start(settings, gate, pacer)
        displays = Displays().add(CallbackSink, callbacks.show)
        if telegram_client is not None:
            displays.add(
                TelegramSink,
                partial(telegram.show, client=telegram_client, public_url=settings.public_url),
            )
        if discord_client is not None:
            displays.add(
                DiscordSink,
                partial(handlers.discord.show, discord=discord_client, public_url=settings.public_url),
            )
        engine = Engine.from_settings(
            settings,
            runner,
            displays=displays,
            overloaded=partial(monitor.overload, settings.readyz_max_loop_lag),
            # The CPU process starts with the first job, in a lull of the acks (at most 5 s later).
            before_cpu_start=partial(gate.lull, 0.5, 5.0),
        )
        with stop_signals() as stopping:  # ends the SSE streams when SIGTERM begins the shutdown
            services = Services(engine, monitor, background, telegram_client, discord_client, pacer, stopping)
            app.state.services = services
            await engine.start()  # shows again what a process that is gone was showing: the clients first
            background.spawn(warm_up(app, services, settings, gate), name="warm-up")
            if telegram_client is not None and engine.jobs.resumes:  # updates a process that died acked
                background.spawn(telegram.take_over(services, settings.job_lease_seconds), name="tg-takeover")
            try:
                yield
            finally:
                # Work a user waits for ends, or says it was cut short (handlers.discord.settle,
                # handlers.telegram.deliver_update).
                await background.close(grace=STOP_GRACE)
                await engine.stop()  # the jobs first, then the last edits of those that ended
                await callbacks.close()
                if telegram_client is not None and (built := telegram_client.built) is not None:
                    await built.close()
                if discord_client is not None:
                    await discord_client.close()
                await monitor.stop()

    app = FastAPI(
        title="YouTube summary bot",
        version="0.1.0",
        summary="Timestamped summaries of YouTube videos for Telegram, Discord and REST clients.",
        lifespan=lifespan,
    )
    # What `SettingsDep` gives the routes (api/deps.py) and what runs before dependencies (api/guard.py).
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ClientAddressMiddleware, trusted=settings.forwarded_allow_ips)
    app.add_middleware(
        metrics.AckTimer, gate=gate
    )  # added last = outermost: the ack time includes every layer
    app.include_router(summaries.router)
    app.include_router(ask.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(discord.router)
    app.include_router(telegram.router)
    for path, name in PAGES.items():
        app.add_route(path, _deferred("api.pages", name), methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/v1/state",
        _deferred("api.state", "state"),
        methods=["GET"],
        tags=["health"],
        summary="State",
        description="The service's state for the status page and for people: surfaces, Redis, the LLM, "
        "transcript providers, the queue, this process, and the problems found, in plain words. Nothing "
        "secret. `Authorization: Bearer <METRICS_TOKEN>` when that is set.",
        responses=STATE_RESPONSES,
    )
    return app


def _deferred(module: str, name: str) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that runs `module`'s `name`, importing `module` on its first request."""

    async def endpoint(request: Request) -> Response:
        handler: Callable[[Request], Awaitable[Response]] = getattr(import_module(module), name)
        return await handler(request)

    endpoint.__name__ = name
    return endpoint


logs.configure(get_settings().log_level, get_settings().log_format)
app = create_app()
# Off since api/__init__.py: what the imports built lives as long as the process; later collections skip it.
gc.freeze()
gc.enable()
