"""`GET /v1/state`: the service's state for the status page (`/status`, api/pages.py) and for people:
what is set up (REST, Telegram, Discord, Redis, the LLM, the transcript providers and their circuit
breakers, the proxy), what is wrong in plain words with what to do, the queue and this process (CPU
throttling, event-loop lag, memory). Nothing secret; behind `METRICS_TOKEN` when that is set. docs/api.md
defines the fields.

Imported on the first request to `/v1/state` (api/main.py), not at start-up. What it asks Telegram
(`getWebhookInfo`) and Discord (the command list) is kept a minute and ten minutes: a status page open in a
tab costs them one call a minute, and this process ~1 ms of CPU per view (1120 µs:
`benchmarks/page_cpu.py --rounds 5`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import time
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.deps import Services
from api.errors import error_response
from api.health import checks
from api.metrics import authorized
from core import telemetry
from core.config import Settings
from core.cpu_budget import cpu_limit

if TYPE_CHECKING:
    from prometheus_client.metrics import MetricWrapperBase

    from bot.discord import DiscordClient
    from bot.telegram import TelegramClient
    from summarizer.circuit import CircuitBreaker

# What /v1/state asks Telegram and Discord is kept this long (seconds): a state view every few seconds
# costs them one call a minute (Telegram's getWebhookInfo) or every ten (Discord's command list).
TELEGRAM_CHECK_TTL = 60.0
DISCORD_CHECK_TTL = 600.0
REMOTE_TIMEOUT = 10.0
RECENT_ERROR = 24 * 3600  # Telegram's last delivery error is shown when it is younger than this


class Remote:
    """One question to another service (Telegram, Discord), its answer kept `ttl` seconds; concurrent
    views share one call."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.answer: dict[str, Any] | None = None
        self._at = -math.inf
        self._lock = asyncio.Lock()

    async def get(self, ask: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        async with self._lock:
            if self.answer is None or time.monotonic() - self._at >= self.ttl:
                try:
                    answer = await asyncio.wait_for(ask(), REMOTE_TIMEOUT)
                except TimeoutError:
                    answer = {"ok": False, "error": f"no answer within {REMOTE_TIMEOUT:.0f} s"}
                self.answer = {**answer, "checked_at": _iso(time.time())}
                self._at = time.monotonic()
            return self.answer


class RemoteChecks:
    """What /v1/state asks other services, per app (kept in `app.state.page_checks`)."""

    def __init__(self) -> None:
        self.telegram = Remote(TELEGRAM_CHECK_TTL)
        self.discord = Remote(DISCORD_CHECK_TTL)


def remote_checks(request: Request) -> RemoteChecks:
    found: RemoteChecks | None = getattr(request.app.state, "page_checks", None)
    if found is None:
        found = request.app.state.page_checks = RemoteChecks()
    return found


async def state(request: Request) -> Response:
    """The service's state (docs/api.md); `Authorization: Bearer <METRICS_TOKEN>` when that is set."""
    # No FastAPI dependencies (the settings are the engine's): each costs CPU on every request.
    services: Services = request.app.state.services
    settings = services.engine.settings
    if not authorized(settings, request.headers.get("authorization")):
        return error_response(
            "unauthorized",
            "GET /v1/state needs the header `Authorization: Bearer <METRICS_TOKEN>`.",
            401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    body = await service_state(services, settings, remote_checks(request))
    return Response(orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds")


def counts(metric: MetricWrapperBase, suffix: str = "_total") -> dict[str, int]:
    """A metric's samples by their (first) label value, e.g. the `ytsum_jobs` counter by outcome."""
    found: dict[str, int] = {}
    for family in metric.collect():
        for sample in family.samples:
            if sample.name.endswith(suffix):
                label = next(iter(sample.labels.values()), "")
                found[label] = found.get(label, 0) + int(sample.value)
    return found


def _scrub(text: str, settings: Settings) -> str:
    """`text` (an error from another service) without any secret setting in it."""
    for secret in settings.secret_values():
        if secret:
            text = text.replace(secret, "***")
    return text[:300]


async def telegram_webhook(client: TelegramClient, settings: Settings) -> dict[str, Any]:
    """What Telegram says about this bot's webhook (`getWebhookInfo`)."""
    from telegram.error import InvalidToken, TelegramError  # loaded already: the client exists

    from bot.telegram_webhook import WEBHOOK_PATH

    telemetry.OUTBOUND.labels("telegram").inc()
    try:
        info = await client.bot.get_webhook_info()
    except InvalidToken:
        telemetry.OUTBOUND_ERRORS.labels("telegram").inc()
        return {"ok": False, "token_rejected": True, "error": "Telegram rejected the bot token"}
    except TelegramError as error:
        telemetry.OUTBOUND_ERRORS.labels("telegram").inc()
        return {"ok": False, "error": _scrub(error.message, settings)}
    expected = settings.public_url.rstrip("/") + WEBHOOK_PATH if settings.public_url else None
    last_error_at = info.last_error_date.timestamp() if info.last_error_date else None
    return {
        "ok": True,
        "url": info.url or None,
        "expected_url": expected,
        "pending_update_count": info.pending_update_count,
        "last_error": _scrub(info.last_error_message, settings) if info.last_error_message else None,
        "last_error_at": _iso(last_error_at) if last_error_at else None,
    }


async def discord_command(client: DiscordClient, settings: Settings) -> dict[str, Any]:
    """Whether `/summarize` is among the application's global commands (needs the bot token)."""
    import httpx  # loaded already: the client exists

    path = f"/applications/{settings.discord_application_id}/commands"
    telemetry.OUTBOUND.labels("discord").inc()
    try:
        response = await (await client.pool()).get(
            path, headers={"Authorization": f"Bot {settings.discord_bot_token}"}
        )
    except httpx.HTTPError as error:
        telemetry.OUTBOUND_ERRORS.labels("discord").inc()
        return {"ok": False, "error": _scrub(f"{type(error).__name__}: {error}", settings)}
    if response.status_code in (401, 403):
        telemetry.OUTBOUND_ERRORS.labels("discord").inc()
        return {"ok": False, "token_rejected": True, "error": f"Discord answered {response.status_code}"}
    if not response.is_success:
        telemetry.OUTBOUND_ERRORS.labels("discord").inc()
        return {"ok": False, "error": f"Discord answered {response.status_code}"}
    try:
        names = [c.get("name") for c in response.json() if isinstance(c, dict)]
    except ValueError:
        return {"ok": False, "error": "Discord's answer was not JSON"}
    return {
        "ok": True,
        "registered": "summarize" in names,
        "commands": [n for n in names if isinstance(n, str)],
    }


def _discord_key_ok(public_key: str) -> bool:
    from api.discord import verify_key  # PyNaCl: loaded already when Discord is configured

    try:
        verify_key(public_key)
    except ValueError:
        return False
    return True


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@cache
def memory_files() -> tuple[Path, Path] | None:
    """(usage, limit) files of this process's memory cgroup (v2 or v1), found once; None: no cgroup."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    root = Path("/sys/fs/cgroup")
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            base, used_name, limit_name = root, "memory.current", "memory.max"
        elif "memory" in controllers.split(","):
            base, used_name, limit_name = root / "memory", "memory.usage_in_bytes", "memory.limit_in_bytes"
        else:
            continue
        # In a cgroup namespace this process's cgroup is the root it sees.
        for directory in (base / path.lstrip("/"), base):
            if _read_int(directory / used_name) is not None:
                return directory / used_name, directory / limit_name
    return None


def cgroup_memory() -> tuple[int | None, int | None]:
    """(bytes used, limit) of this process's memory cgroup, None where unknown or unlimited."""
    if (found := memory_files()) is None:
        return None, None
    used, limit = _read_int(found[0]), _read_int(found[1])  # a limit of v2 "max", or v1's huge number: none
    return used, limit if limit is not None and limit < 1 << 60 else None


@cache
def quota() -> float | None:
    """CPU cores this process may use (core/cpu_budget.py), looked up once."""
    return cpu_limit()


def process_figures() -> dict[str, float]:
    """This process's `process_*` figures of /metrics by name (`cpu_seconds_total`, `resident_memory_bytes`,
    `start_time_seconds`): one read of /proc/self."""
    return {
        sample.name.removeprefix("process_"): sample.value
        for family in telemetry.PROCESS.collect()
        for sample in family.samples
    }


def _problem(part: str, severity: str, message: str) -> dict[str, str]:
    return {"part": part, "severity": severity, "message": message}


async def service_state(services: Services, settings: Settings, remote: RemoteChecks) -> dict[str, Any]:
    """Everything /v1/state reports (docs/api.md), the problems first."""
    engine, monitor = services.engine, services.monitor
    degraded = await checks(services, settings)
    queue = await engine.queue_state()
    problems: list[dict[str, str]] = []
    acks = counts(telemetry.ACK_SECONDS, "_count")

    # Telegram.
    telegram: dict[str, Any] = {
        "configured": services.telegram is not None,
        "token_set": bool(settings.telegram_bot_token),
        "webhook_secret_set": bool(settings.telegram_webhook_secret),
        "updates_received": acks.get("telegram", 0),
        "webhook": None,
    }
    if services.telegram is not None:
        client = await services.telegram.get()  # built after start-up (api/warmup.py), or now
        webhook = await remote.telegram.get(lambda: telegram_webhook(client, settings))
        telegram["webhook"] = webhook
        problems += _telegram_problems(webhook, settings)
    elif settings.telegram_bot_token or settings.telegram_webhook_secret:
        missing = "TELEGRAM_WEBHOOK_SECRET" if settings.telegram_bot_token else "TELEGRAM_BOT_TOKEN"
        problems.append(_problem("telegram", "error", f"{missing} is not set, so Telegram is off: set both."))

    # Discord.
    discord: dict[str, Any] = {
        "configured": services.discord is not None,
        "public_key_valid": _discord_key_ok(settings.discord_public_key)
        if settings.discord_public_key
        else None,
        "application_id_set": bool(settings.discord_application_id),
        "bot_token_set": bool(settings.discord_bot_token),
        "interactions_received": acks.get("discord", 0),
        "command": None,
    }
    if discord["public_key_valid"] is False:
        problems.append(
            _problem(
                "discord",
                "error",
                "DISCORD_PUBLIC_KEY is not a hex Ed25519 public key, so every interaction is refused (401): "
                "copy it again from the Developer Portal (General Information, Public Key).",
            )
        )
    if services.discord is not None and settings.discord_application_id and settings.discord_bot_token:
        discord_client = services.discord
        command = await remote.discord.get(lambda: discord_command(discord_client, settings))
        discord["command"] = command
        if command.get("token_rejected"):
            message = "Discord refused DISCORD_BOT_TOKEN (or DISCORD_APPLICATION_ID does not match it)."
            problems.append(_problem("discord", "error", message))
        elif not command.get("ok"):
            problems.append(_problem("discord", "warning", f"Could not ask Discord: {command.get('error')}."))
        elif not command.get("registered"):
            message = (
                "/summarize is not registered globally: run `python -m bot.discord_commands` "
                "(a registration in one server only does not show here)."
            )
            problems.append(_problem("discord", "warning", message))
    elif services.discord is None and (settings.discord_application_id or settings.discord_bot_token):
        message = "DISCORD_PUBLIC_KEY is not set, so Discord is off (the other Discord settings are)."
        problems.append(_problem("discord", "error", message))

    # Redis, the LLM, transcripts.
    redis_reachable = None if not settings.redis_url else not degraded["redis"]
    if redis_reachable is False:
        message = (
            "Redis (REDIS_URL) does not answer: the cache and the queue work from this process's memory."
        )
        problems.append(_problem("redis", "error", message))
    llm_requests = counts(telemetry.LLM_REQUESTS)
    if settings.llm_configured and llm_requests.get("failed"):
        message = (
            f"The chat model failed {llm_requests['failed']} times since the start; those parts were "
            "summarized without it (docs/llm.md)."
        )
        problems.append(_problem("llm", "warning", message))
    transcripts = transcripts_state(settings, engine.transcripts.breakers, problems)

    # The queue and this process.
    if degraded["queue_full"]:
        message = "The queue is full: new summaries are refused (busy) until some finish."
        problems.append(_problem("queue", "warning", message))
    if degraded["event_loop_lag"]:
        message = f"The event loop lags {monitor.lag:.2f} s: every answer is that much slower."
        problems.append(_problem("process", "warning", message))
    if degraded["cpu_throttled"]:
        message = f"The CPU quota throttled {monitor.throttled:.0%} of the last 10 s."
        problems.append(_problem("process", "warning", message))
    figures = process_figures()
    memory_used, memory_limit = cgroup_memory()
    started = figures.get("start_time_seconds")

    severities = {p["severity"] for p in problems}
    return {
        "status": "error" if "error" in severities else "warning" if severities else "ok",
        "problems": problems,
        "checked_at": _iso(time.time()),
        "version": os.environ.get("RENDER_GIT_COMMIT", "")[:12] or None,
        "public_url": settings.public_url,
        "surfaces": {
            "rest": {"api_key_required": bool(settings.api_key), "requests": acks.get("rest", 0)},
            "telegram": telegram,
            "discord": discord,
        },
        "redis": {"configured": bool(settings.redis_url), "reachable": redis_reachable},
        "llm": {
            "configured": settings.llm_configured,
            "model": settings.llm_model if settings.llm_configured else None,
            "host": urlsplit(settings.llm_base_url).hostname if settings.llm_base_url else None,
            "default": settings.summarizer,
            "requests": llm_requests,
        },
        "transcripts": transcripts,
        "queue": {
            **queue,
            "concurrent_jobs": settings.concurrent_jobs,
            "outcomes": {outcome: n for outcome, n in counts(telemetry.JOBS).items() if n},
            "refused": counts(telemetry.JOBS_REFUSED),
        },
        "process": {
            "uptime_seconds": round(time.time() - started) if started else None,
            "event_loop_lag_seconds": round(monitor.lag, 4),
            "cpu_throttled_ratio": round(monitor.throttled, 4),
            "cpu_limit": quota(),
            "cpu_seconds": round(figures.get("cpu_seconds_total", 0.0), 2),
            "memory_bytes": int(figures.get("resident_memory_bytes", 0)),
            "cgroup_memory_bytes": memory_used,
            "memory_limit_bytes": memory_limit,
        },
        "degraded": [name for name, bad in degraded.items() if bad],
    }


# What an operator can do when a transcript provider refuses this server.
ADVICE = {
    "youtube": "Cloud hosts are often blocked: set a proxy (WEBSHARE_PROXY_USERNAME/PASSWORD or "
    "YOUTUBE_PROXY_HTTP_URL/HTTPS_URL) or another provider in TRANSCRIPT_PROVIDERS (docs/free-tier.md).",
    "supadata": "Check SUPADATA_API_KEY and the account's quota.",
}


def transcripts_state(
    settings: Settings, breakers: dict[str, CircuitBreaker], problems: list[dict[str, str]]
) -> dict[str, Any]:
    """The transcript providers in the order they are asked (`TRANSCRIPT_PROVIDERS`, or the folder of
    `TRANSCRIPT_DIR`), each with its circuit breaker and its answers since the start; a provider refusing
    this server is a problem."""
    from summarizer.circuit import TRIPPING_CODES  # loaded already: the engine's breakers are its

    fetches: dict[str, dict[str, int]] = {}
    for family in telemetry.TRANSCRIPT_FETCHES.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.value:
                by_outcome = fetches.setdefault(sample.labels["provider"], {})
                by_outcome[sample.labels["outcome"]] = int(sample.value)
    providers = []
    for name, breaker in breakers.items():
        outcomes = fetches.get(name, {})
        providers.append({"name": name, "circuit_open": breaker.open, "fetches": outcomes})
        refused = sum(n for outcome, n in outcomes.items() if outcome in TRIPPING_CODES)
        advice = ADVICE.get(name, "")
        if breaker.open:
            message = (
                f"{breaker.name} is refusing this server ({refused} refusals since the start), so it is not "
                f"asked for a while. {advice}"
            )
            problems.append(_problem("transcripts", "error", message.strip()))
        elif refused:
            message = f"{breaker.name} refused {refused} transcript requests from this server since the start. {advice}"
            problems.append(_problem("transcripts", "warning", message.strip()))
    proxy = (
        "webshare"
        if settings.webshare_proxy_username and settings.webshare_proxy_password
        else "http"
        if settings.youtube_proxy_http_url or settings.youtube_proxy_https_url
        else None
    )
    return {"providers": providers, "folder": bool(settings.transcript_dir), "proxy": proxy}


def _telegram_problems(webhook: dict[str, Any], settings: Settings) -> list[dict[str, str]]:
    if webhook.get("token_rejected"):
        message = "Telegram rejected TELEGRAM_BOT_TOKEN: copy the token again from @BotFather."
        return [_problem("telegram", "error", message)]
    if not webhook.get("ok"):
        return [
            _problem(
                "telegram", "warning", f"Could not ask Telegram about the webhook: {webhook.get('error')}."
            )
        ]
    problems = []
    url, expected = webhook.get("url"), webhook.get("expected_url")
    how = "set PUBLIC_URL (Render sets RENDER_EXTERNAL_URL) and restart, or run `python -m bot.telegram_webhook set`"
    if not url:
        message = f"Telegram has no webhook for this bot, so its messages never reach this service: {how}."
        problems.append(_problem("telegram", "error", message))
    elif expected and url != expected:
        message = f"Telegram sends this bot's messages to {url}, not to this service ({expected}): {how}."
        problems.append(_problem("telegram", "error", message))
    last_error, at = webhook.get("last_error"), webhook.get("last_error_at")
    if last_error and at and time.time() - dt.datetime.fromisoformat(at).timestamp() < RECENT_ERROR:
        hint = (
            " (403: the webhook secret changed; a restart registers it again)" if "403" in last_error else ""
        )
        message = f"Telegram's last delivery to the webhook failed at {at}: {last_error}{hint}."
        problems.append(_problem("telegram", "warning", message))
    return problems
