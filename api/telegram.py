"""`POST /telegram/webhook`: check the secret, drop redeliveries, answer at once, send the rest afterwards.

The request decides what to send without calling Telegram (handlers/telegram.py `plan_update`): the first
text that needs no answer (busy, rate-limited, help, an error, a cached summary in one message) goes back
in the HTTP response as a `sendMessage` (Bot API "Making requests when getting updates"), so a flood
costs no outbound call; replies that will be edited are sent by a background task started after the
response, behind the acks in flight (core/acks.py). A flood of 50 webhooks, 20 in flight, at 0.1 CPU
(`benchmarks/run.py --quick --service-only`): acks p99 3.7-4.4 s before issue 16, 0.9-1.9 s with these two
changes, 0.29-0.58 s with the rest (docs/benchmarks.md, "Issue 16").

With Redis an update is held there (`updates:held`) from before the ack until it is handled (its jobs
admitted, its replies sent): Telegram never sends an acked update again, so a process that dies in between
leaves it to another (`take_over`). The hold costs the ack one Redis round trip, 84-130 µs of CPU
(`.venv/bin/python benchmarks/held_updates.py`, 3 runs), and its deletion another after the response.
A stop (SIGTERM) gives the tasks that answer updates `STOP_GRACE` to end; an update one of them is cut short
on stays held for the next process, or, not held, its chat is told to send it again (handlers.telegram).

The request path imports no python-telegram-bot module (its import costs 191 ms of CPU and 11.2 MiB of
RSS on top of `import api.main`, httpx included: `benchmarks/imports.py bot.telegram`, median of 5): the
client is built after start-up, in a thread (api/warmup.py), or by the first update that needs it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import APIRouter, Header, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

import handlers.telegram
from api.deps import Services, ServicesDep, SettingsDep
from api.errors import error_response
from bot.telegram_render import render_error
from core import pacing
from core.acks import AckGate
from core.config import Settings
from core.lazy import Lazy
from core.pacing import Pacer
from handlers.telegram import (
    PLATFORM,
    Chat,
    Step,
    chat_of,
    deliver_update,
    needs_username,
    plan_update,
    webhook_answer,
)
from summarizer.errors import SummaryError

if TYPE_CHECKING:
    from bot.telegram import TelegramClient
    from summarizer.jobs import Job
    from summarizer.sinks import TelegramSink

log = logging.getLogger(__name__)

# Telegram keeps undelivered updates for 24 h: remembering ids that long covers every redelivery.
SEEN_TTL = 24 * 3600

router = APIRouter(tags=["telegram"])


def configured(settings: Settings) -> bool:
    return bool(settings.telegram_bot_token and settings.telegram_webhook_secret)


def start(settings: Settings, gate: AckGate, pacer: Pacer) -> Lazy[TelegramClient] | None:
    """Lifespan start: the Bot API client, built later (`Lazy`), when Telegram is configured; its calls
    and the webhook's answers share `pacer`."""
    if not configured(settings):
        return None

    def build() -> TelegramClient:
        from bot.telegram import TelegramClient  # imports python-telegram-bot: only when it is used

        return TelegramClient.from_settings(settings, gate, pacer)

    return Lazy(build)


async def warm(client: Lazy[TelegramClient], settings: Settings) -> None:
    """After start-up: build the client, learn the bot's @username, register the webhook if it differs."""
    built = await client.get()
    await built.username()
    if settings.public_url:
        from bot.telegram_webhook import register

        await register(built, settings)


async def show(
    job: Job, sink: TelegramSink, client: Lazy[TelegramClient], public_url: str | None = None
) -> None:
    """The engine's display of Telegram sinks: edit the sink's message as the job runs."""
    await handlers.telegram.show(job, sink, await client.get(), public_url)


def _ok() -> Response:
    return Response(b"{}", media_type="application/json")


@router.post(
    "/telegram/webhook",
    responses={
        200: {"description": "Taken (or ignored: a redelivery, an update type the bot does not handle)."},
        403: {"description": "`forbidden`: the secret token header is missing or wrong."},
        404: {"description": "`not_found`: Telegram is not configured on this service."},
    },
)
async def telegram_webhook(
    request: Request,
    settings: SettingsDep,
    services: ServicesDep,
    secret: Annotated[str | None, Header(alias="X-Telegram-Bot-Api-Secret-Token")] = None,
) -> Response:
    """A Telegram `Update`: answered at once (with the first reply when it needs no answer from Telegram);
    calls to Telegram come after the response."""
    if not configured(settings):
        return error_response("not_found", "Telegram is not configured on this service.", 404)
    assert settings.telegram_secret_token
    if not hmac.compare_digest((secret or "").encode(), settings.telegram_secret_token.encode()):
        return error_response("forbidden", "The X-Telegram-Bot-Api-Secret-Token header is wrong.", 403)
    try:
        update = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return error_response("invalid_request", "The body is not JSON.", 400)
    update_id = update.get("update_id") if isinstance(update, dict) else None
    if not isinstance(update_id, int):
        return error_response("invalid_request", "The body is not a Telegram update.", 400)
    if not await services.engine.chats.first_time(PLATFORM, update_id, ttl=SEEN_TTL):
        return _ok()  # a redelivery
    # Telegram sends an acked update never again, and drops it as seen above: with Redis it is kept until
    # it is handled, and another process handles it if this one dies first (`take_over`).
    held = await services.engine.jobs.hold_update(PLATFORM, update_id, update)
    assert services.telegram is not None  # configured: the lifespan made the client's holder
    built = services.telegram.built
    username = built.known_username if built is not None else None
    if needs_username(update) and username is None:  # learnt after start-up; until then, all via the API
        return Response(
            b"{}", media_type="application/json", background=BackgroundTask(_later, services, update, held)
        )
    try:
        planned = await plan_update(
            update, services.engine, services.engine.chats, settings.telegram_bot_id, username
        )
    except Exception:  # the one line for this failure; the chat is told instead of left waiting
        log.exception("telegram: update %s failed", update_id)
        chat = chat_of(update)
        planned = (chat, [render_error(SummaryError("internal_error"))]) if chat is not None else None
    body: dict[str, Any] = {}
    steps: list[Step] = []
    if planned is not None:
        chat, steps = planned
        if (
            steps
            and isinstance(steps[0], str)
            and services.pacer.take(chat.id, pacing.chat_interval(chat.id))
        ):
            body, steps = webhook_answer(chat, steps[0]), steps[1:]  # else paced with the rest, as a call
    # Started once the response is sent, so the ack always goes out before any call to Telegram. An answer
    # in the response is sent then: with nothing left to send, the update is handled.
    if planned is not None and steps:
        later = BackgroundTask(_later, services, update, held, (planned[0], steps))
    else:
        later = BackgroundTask(services.engine.jobs.update_handled, PLATFORM, update_id)
    return Response(orjson.dumps(body), media_type="application/json", background=later)


async def take_over(services: Services, every: float) -> None:
    """Handle the updates that processes now gone acked and did not handle (with Redis), every `every`
    seconds (a job lease: a process is gone once its heartbeat has expired)."""
    while True:
        try:
            for update in await services.engine.jobs.orphan_updates(PLATFORM):
                # Each on its own: one that cannot be handled (written by another version, damaged) is
                # skipped, not the end of the round for those after it. (It stays held by this process, so
                # it is taken, and skipped, once per process, until it is a day old: RedisJobStore.)
                if not isinstance(update_id := update.get("update_id"), int):
                    log.warning(
                        "telegram: a held update left by a process that is gone has no update_id: skipped"
                    )
                    continue
                log.warning("telegram: update %s was left by a process that is gone, handled here", update_id)
                await _later(services, update, held=True)  # (taken over: held by this process now)
        except Exception as error:
            # Never the end of the take-over for the process's life. (Redis errors do not come this far: the
            # store answers no updates for the round, RedisJobStore.claim_updates.)
            log.warning("telegram: taking over held updates failed, trying again in %.0f s: %r", every, error)
        await asyncio.sleep(every)


async def _later(
    services: Services,
    update: dict[str, Any],
    held: bool,
    planned: tuple[Chat, list[Step]] | None = None,
) -> None:
    """After the webhook's response (or for `take_over`), in a task of the process's that a stop gives
    `STOP_GRACE` to end (`owed`): send the steps the webhook `planned` (paced behind the acks,
    bot/telegram.py) or, with no plan, handle `update` entirely through the Bot API; then the update is
    handled, also when that failed (it is not tried again). Cancelled (the process stops), a `held` update
    stays held: the next process handles it (`take_over`); else the chat is told to send it again
    (handlers.telegram.deliver_update)."""
    client, engine = services.telegram, services.engine
    assert client is not None  # configured: the lifespan made the client's holder
    update_id = update["update_id"]

    async def handling() -> None:
        stopped = False  # cancelled by the stop: the update stays held (if it is), for the next process
        try:
            await deliver_update(update, planned, engine, client.get, held)
        except asyncio.CancelledError:
            stopped = True
            raise
        finally:
            if not stopped:  # handled, also when that failed: it is not tried again
                await engine.jobs.update_handled(PLATFORM, update_id)

    if planned is None:
        name = f"telegram-update-{update_id}"
    else:
        name = f"telegram-reply-{planned[0].id}-{planned[0].reply_to}"
    services.background.spawn(handling(), name=name, owed=True)
