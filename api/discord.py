"""`POST /discord/interactions`: Discord's HTTP interactions, signature-checked, answered within 3 s.

Signatures are checked with PyNaCl directly, as Discord's own Python sample does. The
`discord-interactions` package is a thin wrapper around the same call: unmaintained since 2022,
it prints exceptions to stdout and its decorator is Flask-only, so it would add nothing here.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Annotated

import orjson
from fastapi import APIRouter, Header, Request
from starlette.responses import Response

from api.deps import ServicesDep, SettingsDep
from api.errors import error_response
from api.schemas import error_doc
from bot.discord import DiscordClient
from bot.discord_render import ephemeral
from core.acks import AckGate
from core.config import Settings
from handlers.discord_ask import respond  # /ask, and through it every other command

if TYPE_CHECKING:
    from nacl.signing import VerifyKey

log = logging.getLogger(__name__)

MAX_CLOCK_SKEW = 300  # seconds between X-Signature-Timestamp and our clock; older requests are replays


@lru_cache(maxsize=2)
def verify_key(public_key_hex: str) -> VerifyKey:
    """The application's Ed25519 key, built once.

    PyNaCl is imported here, not at module load: 9 ms of CPU on top of `import api.main`
    (`benchmarks/imports.py nacl.signing`, median of 5), ~90 ms of wall time at Render's 0.1 CPU, paid
    only when Discord is configured (at startup, see `start`).
    """
    from nacl.signing import VerifyKey

    return VerifyKey(bytes.fromhex(public_key_hex))


def start(settings: Settings, gate: AckGate) -> DiscordClient | None:
    """The Discord client when Discord is configured (the key is loaded now, so a bad one shows at boot;
    the client's httpx only after start-up, `DiscordClient.warm`)."""
    if not settings.discord_public_key:
        return None
    try:
        verify_key(settings.discord_public_key)
    except ValueError:
        log.error("DISCORD_PUBLIC_KEY is not a hex Ed25519 public key: every interaction will get 401")
    return DiscordClient.from_settings(settings, gate)


def signature_ok(public_key_hex: str, signature: str | None, timestamp: str | None, body: bytes) -> bool:
    """Whether `signature` is the application's Ed25519 signature of `timestamp + body`, and recent."""
    if not signature or not timestamp:
        return False
    try:
        if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
            return False
        key = verify_key(public_key_hex)
        signed = bytes.fromhex(signature)
    except ValueError:
        return False
    from nacl.exceptions import BadSignatureError

    try:
        key.verify(timestamp.encode() + body, signed)
    except (BadSignatureError, ValueError):  # wrong signature, or not 64 bytes long
        return False
    return True


router = APIRouter(tags=["discord"])


@router.post(
    "/discord/interactions",
    responses={
        200: {"description": "The interaction response: PONG, a message (type 4) or deferred (type 5)."},
        401: error_doc("`invalid_signature`: missing, malformed, wrong or stale Ed25519 signature."),
        404: error_doc("`not_found`: Discord is not configured (`DISCORD_PUBLIC_KEY` unset)."),
    },
)
async def interactions(
    request: Request,
    settings: SettingsDep,
    services: ServicesDep,
    x_signature_ed25519: Annotated[str | None, Header()] = None,
    x_signature_timestamp: Annotated[str | None, Header()] = None,
) -> Response:
    """A Discord interaction: verified, then answered at once (the work continues in the background)."""
    if not settings.discord_public_key:
        return error_response("not_found", "Discord is not configured on this service.", 404)
    body = await request.body()
    if not signature_ok(settings.discord_public_key, x_signature_ed25519, x_signature_timestamp, body):
        return error_response("invalid_signature", "The request signature is missing or invalid.", 401)
    try:
        interaction = orjson.loads(body)
    except orjson.JSONDecodeError:
        return error_response("invalid_request", "The body is not JSON.", 400)
    assert services.discord is not None  # configured with the public key
    # What it starts, a user waits for: a stop lets it end, or it says it was cut short (handlers.discord).
    spawn = partial(services.background.spawn, owed=True)
    try:
        answer = (
            await respond(interaction, services.engine, services.discord, spawn)
            if isinstance(interaction, dict)
            else ephemeral("Sorry, I could not read that request.")
        )
    except Exception:
        # The user sees a message instead of "The application did not respond".
        log.exception("discord: interaction failed")
        answer = ephemeral("Something went wrong on my side. Please try again.")
    return Response(orjson.dumps(answer), media_type="application/json")
