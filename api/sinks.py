"""Where a job is shown: each sink kind and the task that shows a job there.

A sink is a small dict kept with the job (in Redis, with `REDIS_URL`), so the process that takes over a
job after a restart shows it in the same Telegram message, Discord response or REST callback:

    {"kind": "telegram", "chat_id": ..., "message_id": ..., "text": <the text shown now>}
    {"kind": "discord", "application_id": ..., "token": ..., "expires_at": <Unix time>}
    {"kind": "callback", "url": ...}
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

from fastapi import FastAPI

from handlers import discord, telegram
from summarizer.engine import Sink
from summarizer.jobs import Delivery, Job

log = logging.getLogger(__name__)


def start(app: FastAPI, job: Job, sink: Sink) -> None:
    """Start showing `job` in `sink` (a background task of the app)."""
    if (coroutine := _show(app, job, sink)) is None:
        log.warning("job %s: cannot show it in its %s sink, not configured here", job.id, sink["kind"])
        return
    app.state.background.spawn(coroutine, f"{sink['kind']}-{job.id}")


def _show(app: FastAPI, job: Job, sink: Sink) -> Coroutine[Any, Any, None] | None:
    kind = sink["kind"]
    if kind == "telegram" and app.state.telegram is not None:
        return telegram.show(job, sink, app.state.telegram)
    if kind == "discord" and app.state.discord is not None:
        return discord.show(job, sink, app.state.discord)
    if kind == "callback":
        delivery = next((d for d in job.callbacks if d.url == sink["url"]), None)
        if delivery is None:  # listed at once: the job resource answering the request shows it pending
            job.callbacks.append(delivery := Delivery(sink["url"]))
        return _call_back(app, job, delivery)
    return None


async def _call_back(app: FastAPI, job: Job, delivery: Delivery) -> None:
    """POST the finished job to the callback URL; its delivery state is kept with the job."""
    engine = app.state.engine
    await engine.save_callbacks(job)
    if delivery.state == "pending":
        await app.state.callbacks.deliver(job, delivery)
        await engine.save_callbacks(job)
