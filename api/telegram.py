"""`POST /telegram/webhook`: check the secret, drop redeliveries, answer 200 at once, work afterwards.

The request path does no outbound call and imports no python-telegram-bot module (its import costs
191 ms of CPU and 11.2 MiB of RSS on top of `import api.main`, httpx included: `benchmarks/imports.py
bot.telegram`, median of 5); the update is handled as a plain dict in a background task started after
the response is sent.
"""

from __future__ import annotations

import hmac
import logging
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from fastapi import APIRouter, Header, Request
from starlette.background import BackgroundTask
from starlette.responses import Response

from api.deps import Services, ServicesDep, SettingsDep
from api.errors import error_response
from core.config import Settings
from core.tasks import BackgroundTasks
from handlers.telegram import PLATFORM, handle_update

if TYPE_CHECKING:
    from bot.telegram import TelegramClient

log = logging.getLogger(__name__)

# Telegram keeps undelivered updates for 24 h: remembering ids that long covers every redelivery.
SEEN_TTL = 24 * 3600

router = APIRouter(tags=["telegram"])


def configured(settings: Settings) -> bool:
    return bool(settings.telegram_bot_token and settings.telegram_webhook_secret)


def start(settings: Settings, background: BackgroundTasks) -> TelegramClient | None:
    """Lifespan start: the Bot API client when Telegram is configured, and the webhook registration."""
    if not configured(settings):
        return None
    from bot.telegram import TelegramClient  # imports python-telegram-bot: only when it is used
    from bot.telegram_webhook import register

    client = TelegramClient.from_settings(settings)
    if settings.public_url:  # in the background: start-up does not wait for Telegram
        background.spawn(register(client, settings), name="telegram-webhook")
    return client


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
    """A Telegram `Update`; answered before any work is done."""
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
    # Started once the response is sent, so the 200 always goes out before any call to Telegram.
    return Response(b"{}", media_type="application/json", background=BackgroundTask(_spawn, services, update))


async def _spawn(services: Services, update: dict[str, Any]) -> None:
    assert services.telegram is not None  # configured, or the webhook answered 404
    engine = services.engine
    coroutine = handle_update(update, engine, engine.chats, services.telegram)
    services.background.spawn(coroutine, name=f"telegram-update-{update['update_id']}")
