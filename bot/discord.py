"""Discord's REST API, the few calls this service makes, on one shared HTTP client.

Interaction webhooks (edit the original response, post a follow-up) need no bot token: the interaction
token in the path is the credential. Registering commands needs `Authorization: Bot <token>`.
429 waits the `retry_after` Discord asks for; 5xx and network errors get a few retries with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING, Any

from core.acks import AckGate
from core.lazy import Lazy
from core.logs import redact_url_loggers
from core.telemetry import OUTBOUND, OUTBOUND_ERRORS, OUTBOUND_RATE_LIMITED

if TYPE_CHECKING:
    import httpx

    from core.config import Settings

log = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/yt-summary-bot/yt-summary-bot"
VERSION = "0.1.0"
# Discord requires this shape (docs: reference "User Agent").
USER_AGENT = f"DiscordBot ({PROJECT_URL}, {VERSION})"
TIMEOUT, CONNECT_TIMEOUT = 10.0, 5.0
RETRIES = 3  # per call, for 5xx and network errors
RATE_LIMIT_RETRIES = 5  # per call, for 429
BACKOFF = 0.5  # seconds before the first retry; doubles each time, plus up to as much jitter
MAX_RETRY_AFTER = 60.0  # a longer 429 wait means something is badly wrong: give up instead


class DiscordError(Exception):
    """A call Discord refused (4xx other than 429) or that kept failing; not logged here: the caller that
    gives up logs it, once."""

    def __init__(self, status: int | None, detail: str) -> None:
        self.status = status
        super().__init__(f"{status}: {detail}")


def rate_limit_of(response: httpx.Response) -> tuple[float, bool]:
    """A 429's wait in seconds and whether it is global: `retry_after` (a float) and `global` from the
    JSON body, else the `Retry-After` header."""
    try:
        body = response.json()
        return float(body["retry_after"]), bool(body.get("global"))
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    try:
        return float(response.headers.get("Retry-After", "1")), False
    except ValueError:
        return 1.0, False


def backoff(attempt: int, base: float = BACKOFF) -> float:
    """Seconds before retry number `attempt` (0-based): exponential with full jitter on top."""
    delay = base * 2.0**attempt
    return delay + random.uniform(0, delay)


class DiscordClient:
    """Calls to `DISCORD_API_BASE_URL` over one pooled `httpx.AsyncClient`; `close()` at shutdown."""

    def __init__(
        self,
        base_url: str,
        bot_token: str | None = None,
        backoff: float = BACKOFF,
        gate: AckGate | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bot_token = bot_token
        self.backoff = backoff
        self._gate = gate or AckGate()  # calls wait for the acks in flight (core/acks.py)
        self._paused_until = 0.0  # loop time until which a global rate limit holds every call
        self._pool = Lazy(self._make_pool)
        redact_url_loggers()  # interaction tokens are in the webhook URLs httpx logs

    @classmethod
    def from_settings(cls, settings: Settings, gate: AckGate | None = None) -> DiscordClient:
        return cls(settings.discord_api_base_url, settings.discord_bot_token, gate=gate)

    def _make_pool(self) -> httpx.AsyncClient:
        """The pooled client. httpx costs 103 ms of CPU to import (`benchmarks/imports.py httpx`, on top of
        `import api.main`) and the pool's TLS context (certifi's bundle) ~40 ms more (`time.process_time()`
        around the first `httpx.AsyncClient()`, three runs 38-45 ms): 1.4 s of wall time at 0.1 CPU, so it is
        made in a worker thread (`core.lazy.Lazy`), by `warm()` after start-up or by the first call before
        that, never in the event loop an ack is waiting on."""
        import httpx

        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
            timeout=httpx.Timeout(TIMEOUT, connect=CONNECT_TIMEOUT),
        )

    async def pool(self) -> httpx.AsyncClient:
        """The pooled client, made on first use (in a thread)."""
        return await self._pool.get()

    async def warm(self) -> None:
        """Make the pool before the first call needs it."""
        await self._pool.get()

    async def close(self) -> None:
        if (http := self._pool.built) is not None:
            await http.aclose()

    async def edit_original(self, application_id: str, token: str, message: dict[str, Any]) -> Any:
        """Replace the interaction's original (or deferred) response with `message`."""
        path = f"/webhooks/{application_id}/{token}/messages/@original"
        return await self._call("PATCH", path, message, label="edit original response")

    async def followup(self, application_id: str, token: str, message: dict[str, Any]) -> Any:
        """Post `message` as a follow-up to the interaction."""
        path = f"/webhooks/{application_id}/{token}"
        return await self._call("POST", path, message, label="post follow-up")

    async def register_commands(
        self, application_id: str, commands: list[dict[str, Any]], guild_id: str | None = None
    ) -> Any:
        """Overwrite the application's commands, globally or in one guild; returns what Discord stored."""
        if not self.bot_token:
            raise DiscordError(None, "DISCORD_BOT_TOKEN is needed to register commands")
        scope = f"/guilds/{guild_id}" if guild_id else ""
        path = f"/applications/{application_id}{scope}/commands"
        headers = {"Authorization": f"Bot {self.bot_token}"}
        return await self._call("PUT", path, commands, label="register commands", headers=headers)

    async def _call(
        self, method: str, path: str, body: Any, label: str, headers: dict[str, str] | None = None
    ) -> Any:
        """Send one call with Discord's retry rules. `label` names it in logs (paths hold tokens)."""
        import httpx

        failures = rate_limits = 0
        loop = asyncio.get_running_loop()
        while True:
            await self._gate.quiet()
            if (pause := self._paused_until - loop.time()) > 0:
                await asyncio.sleep(pause)
            OUTBOUND.labels("discord").inc()
            try:
                response = await (await self.pool()).request(method, path, json=body, headers=headers)
            except httpx.TransportError as error:
                OUTBOUND_ERRORS.labels("discord").inc()
                # A POST that may have arrived is not repeated (it would post twice); one that never
                # connected is safe to repeat.
                retryable = method != "POST" or isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                if not retryable or failures >= RETRIES:  # logged once, by the caller that gives up
                    raise DiscordError(None, f"{label}: {error!r}") from error
                await asyncio.sleep(backoff(failures, self.backoff))
                failures += 1
                continue
            if not response.is_success:
                OUTBOUND_ERRORS.labels("discord").inc()
            if response.status_code == 429:
                OUTBOUND_RATE_LIMITED.labels("discord").inc()
                wait, is_global = rate_limit_of(response)
                if rate_limits >= RATE_LIMIT_RETRIES or wait > MAX_RETRY_AFTER:
                    raise DiscordError(429, f"{label}: rate limited, retry_after={wait:.2f}")
                log.warning("discord: %s rate limited (global=%s), waiting %.2f s", label, is_global, wait)
                if is_global:
                    self._paused_until = max(self._paused_until, loop.time() + wait)
                else:
                    await asyncio.sleep(wait)
                rate_limits += 1
                continue
            if response.status_code >= 500 and failures < RETRIES:
                await asyncio.sleep(backoff(failures, self.backoff))
                failures += 1
                continue
            if response.is_success:
                return response.json() if response.content else None
            raise DiscordError(response.status_code, f"{label}: {response.text[:300]}")
