"""What a Discord interaction means: answer within Discord's 3 seconds, then deliver the summary.

`/summarize url:<link> [language:<code>]` answers with the summary at once when it is cached, else with
a deferred response ("thinking…") that a background task edits as chunks finish. The interaction token
that allows the edits lives 15 minutes; after `TOKEN_EDIT_WINDOW` the task stops editing (the summary
stays available at `GET /v1/summaries/{id}` and in the cache).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from bot.discord import DiscordClient, DiscordError
from bot.discord_render import Message, ephemeral, failure_text, progress_message, summary_messages
from bot.progress import follow
from core.formats import is_language_code
from core.telemetry import DISCORD_TOKENS_EXPIRED
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.links import parse_video_id
from summarizer.sinks import DiscordSink

log = logging.getLogger(__name__)

PING, APPLICATION_COMMAND = 1, 2
PONG = {"type": 1}
DEFERRED = {"type": 5}  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: the user sees "thinking…"
COMMAND = "summarize"
EDIT_INTERVAL = 3.0  # seconds between edits of one response; the final state is never held back
TOKEN_EDIT_WINDOW = 14.5 * 60  # the token lives 15 min; keep a margin for the last call in flight
# The first edit waits this long, so it never reaches Discord before our HTTP answer that creates
# the message it edits.
FIRST_EDIT_DELAY = 1.0

Spawn = Callable[[Coroutine[Any, Any, None]], object]


def requester_of(interaction: dict[str, Any]) -> str:
    """Who a job counts against: the Discord user (`member.user` in a server, `user` in a DM)."""
    user = (interaction.get("member") or {}).get("user") or interaction.get("user") or {}
    return f"dc:{user.get('id', '-')}"


def options_of(interaction: dict[str, Any]) -> dict[str, Any]:
    """The command's options by name."""
    options = (interaction.get("data") or {}).get("options") or []
    return {o["name"]: o.get("value") for o in options if isinstance(o, dict) and "name" in o}


@dataclass
class Reply:
    """Where a job's state goes: the interaction's original response and its follow-ups."""

    discord: DiscordClient
    application_id: str
    token: str
    deadline: float  # time.monotonic() after which the token may have expired

    async def show(self, job: Job) -> None:
        """Edit the response to the job's state; a finished summary that overflows adds follow-ups."""
        try:
            if not job.finished:
                await self.discord.edit_original(self.application_id, self.token, progress_message(job))
                return
            first, *rest = summary_messages(job)
            await self.discord.edit_original(self.application_id, self.token, first)
            await self.followups(rest)
        except DiscordError as error:
            if error.status is not None and error.status < 500:
                raise  # refused (unknown token, bad payload, rate limit without end): stop following
            # Discord was down for a while: a later edit may still get through.

    async def followups(self, messages: list[Message]) -> None:
        for message in messages:
            await self.discord.followup(self.application_id, self.token, message)


async def deliver(job: Job, reply: Reply) -> None:
    """Follow `job` and show it in the response until it ends or the token is about to expire."""
    await asyncio.sleep(FIRST_EDIT_DELAY)
    try:
        async with asyncio.timeout(reply.deadline - time.monotonic()):
            await follow(job, reply.show, EDIT_INTERVAL)
    except TimeoutError:
        DISCORD_TOKENS_EXPIRED.inc()
        log.warning(
            "discord: interaction token of job %s (video %s) expired before it finished; edits stopped, "
            "the summary stays available at /v1/summaries/%s",
            job.id,
            job.video_id,
            job.id,
        )
    except DiscordError as error:
        log.warning("discord: stopped showing job %s: %s", job.id, error)


async def show(job: Job, sink: DiscordSink, discord: DiscordClient) -> None:
    """Show `job` in the sink's interaction response while its token lives."""
    deadline = time.monotonic() + sink.expires_at - time.time()
    await deliver(job, Reply(discord, sink.application_id, sink.token, deadline))


async def send_followups(reply: Reply, messages: list[Message]) -> None:
    """Post the rest of a summary that was answered in the interaction response."""
    await asyncio.sleep(FIRST_EDIT_DELAY)
    try:
        await reply.followups(messages)
    except DiscordError as error:
        log.warning("discord: follow-ups stopped: %s", error)


async def respond(
    interaction: dict[str, Any], engine: Engine, discord: DiscordClient, spawn: Spawn
) -> Message:
    """The interaction response for `interaction` (already verified); may start background work."""
    kind = interaction.get("type")
    if kind == PING:
        return PONG
    if kind == APPLICATION_COMMAND and (interaction.get("data") or {}).get("name") == COMMAND:
        return await summarize(interaction, engine, discord, spawn)
    return ephemeral("Sorry, I don't know that one. Try `/summarize url:<YouTube link>`.")


async def summarize(
    interaction: dict[str, Any], engine: Engine, discord: DiscordClient, spawn: Spawn
) -> Message:
    """`/summarize`: the cached summary at once, else a deferred response and a task that fills it in."""
    reply = Reply(
        discord,
        str(interaction.get("application_id", "")),
        str(interaction.get("token", "")),
        deadline=time.monotonic() + TOKEN_EDIT_WINDOW,
    )
    options = options_of(interaction)
    language = options.get("language")
    if language is not None and not is_language_code(language):
        return ephemeral("`language` should be a language code such as `en`, `de` or `pt-BR`.")
    try:
        video_id = parse_video_id(options.get("url", ""))
        job, finished = await engine.submit(
            video_id, [language] if language else None, requester_of(interaction)
        )
    except SummaryError as error:
        return ephemeral(failure_text(error))
    if not finished:
        expires_at = time.time() + reply.deadline - time.monotonic()  # wall clock: read by other processes
        await engine.report(job, DiscordSink(reply.application_id, reply.token, expires_at))
        return DEFERRED
    if job.status is JobStatus.FAILED:
        return ephemeral(failure_text(job.error or SummaryError("internal_error")))
    first, *rest = summary_messages(job)
    if rest:
        spawn(send_followups(reply, rest))
    return {"type": 4, "data": first}
