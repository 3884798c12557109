"""What a Discord interaction means: answer within Discord's 3 seconds, then deliver the summary.

`/summarize url:<link> [language:<code>]` answers with the summary at once when it is cached, else with
a deferred response ("thinking…") that a background task edits as chunks finish. The interaction token
that allows the edits lives 15 minutes; after `TOKEN_EDIT_WINDOW` the task stops editing (the summary
stays available at `GET /v1/summaries/{id}` and in the cache).

`/summarize file:<subtitle file> [url:<link>]` always defers: downloading and reading the file (seconds of
the CPU process at 0.1 CPU) happen in the background, and a file that cannot be read edits the response to
say why. Only its name and size are checked inside the 3 seconds.

Work done after a deferred response (a file read here, a question in handlers/discord_ask.py) runs in
`settle`: what it ends with is edited in, and anything it raises unexpectedly is logged once and edited in
as "something went wrong", so a deferred response never stays "thinking…". Neither does it when the service
stops (SIGTERM: every deploy or restart): the work gets `STOP_GRACE` to end, and work still unfinished then
is cut short and its response edited to say the service restarted and the command should be run again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

from bot import discord_render as render
from bot.discord import DiscordClient, DiscordError
from bot.discord_render import (
    Message,
    ephemeral,
    escape,
    failure_text,
    progress_message,
    summary_messages,
)
from bot.progress import follow
from core.formats import byte_size, is_language_code
from core.tasks import tell_cut_short
from core.telemetry import DISCORD_TOKENS_EXPIRED, OUTBOUND, OUTBOUND_ERRORS
from handlers.payload import field
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.jobs import Job, JobStatus
from summarizer.links import page_url, parse_video_id
from summarizer.sinks import DiscordSink
from summarizer.subtitles import EXTENSIONS, Limits, too_large

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
ASK = "Give me a YouTube link in `url`, or the video's subtitle file (.srt, .vtt or .txt) in `file`."


def requester_of(interaction: dict[str, Any]) -> str:
    """Who a job counts against: the Discord user (`member.user` in a server, `user` in a DM)."""
    user = field(interaction, "member").get("user") or interaction.get("user")
    return f"dc:{user.get('id', '-') if isinstance(user, dict) else '-'}"


def options_of(interaction: dict[str, Any]) -> dict[str, Any]:
    """The command's options by name."""
    options = field(interaction, "data").get("options")
    listed = options if isinstance(options, list) else []
    return {
        o["name"]: o.get("value") for o in listed if isinstance(o, dict) and isinstance(o.get("name"), str)
    }


def language_refusal(options: dict[str, Any]) -> Message | None:
    """The answer (only the user sees it) to a `language` option that is not a language code; None when
    the option is absent or fine."""
    language = options.get("language")
    if language is None or is_language_code(language):
        return None
    return ephemeral("`language` should be a language code such as `en`, `de` or `pt-BR`.")


@dataclass
class Reply:
    """Where a job's state (or what other work done after a deferred answer ends with) goes: the
    interaction's original response and its follow-ups."""

    discord: DiscordClient
    application_id: str
    token: str
    deadline: float  # time.monotonic() after which the token may have expired
    public_url: str | None = None  # a long summary links to its page there (PUBLIC_URL)
    # time.monotonic() about when our answer to the interaction went out (taken over: when we took over)
    answered_at: float = dataclasses.field(default_factory=time.monotonic)

    @classmethod
    def to(cls, interaction: dict[str, Any], discord: DiscordClient, public_url: str | None = None) -> Self:
        """The response to `interaction`, answered now; its token lives `TOKEN_EDIT_WINDOW` from now."""
        application_id, token = str(interaction.get("application_id", "")), str(interaction.get("token", ""))
        return cls(discord, application_id, token, time.monotonic() + TOKEN_EDIT_WINDOW, public_url)

    async def answered(self) -> None:
        """Wait until `FIRST_EDIT_DELAY` after our answer, so no edit reaches Discord before the answer
        that creates the message it edits."""
        await asyncio.sleep(max(0.0, self.answered_at + FIRST_EDIT_DELAY - time.monotonic()))

    async def show(self, job: Job) -> None:
        """Edit the response to the job's state; a finished summary that overflows adds follow-ups."""
        try:
            if not job.finished:
                await self.discord.edit_original(self.application_id, self.token, progress_message(job))
                return
            first, *rest = summary_messages(job, page_url(self.public_url, job.id))
            await self.discord.edit_original(self.application_id, self.token, first)
            await self.followups(rest)
        except DiscordError as error:
            if error.status is not None and error.status < 500:
                raise  # refused (unknown token, bad payload, rate limit without end): stop following
            # Discord was down for a while: a later edit may still get through.
            log.warning("discord: showing job %s failed, a later state is tried: %s", job.id, error)

    async def followups(self, messages: list[Message]) -> None:
        for message in messages:
            await self.discord.followup(self.application_id, self.token, message)


async def deliver(job: Job, reply: Reply) -> None:
    """Follow `job` and show it in the response until it ends or the token is about to expire."""
    await reply.answered()
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


async def show(job: Job, sink: DiscordSink, discord: DiscordClient, public_url: str | None = None) -> None:
    """Show `job` in the sink's interaction response while its token lives."""
    deadline = time.monotonic() + sink.expires_at - time.time()
    await deliver(job, Reply(discord, sink.application_id, sink.token, deadline, public_url))


async def send_followups(reply: Reply, messages: list[Message]) -> None:
    """Post the rest of a summary that was answered in the interaction response."""
    await reply.answered()
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
    if kind == APPLICATION_COMMAND and field(interaction, "data").get("name") == COMMAND:
        return await summarize(interaction, engine, discord, spawn)
    return ephemeral("Sorry, I don't know that one. Try `/summarize url:<YouTube link>`.")


async def summarize(
    interaction: dict[str, Any], engine: Engine, discord: DiscordClient, spawn: Spawn
) -> Message:
    """`/summarize`: the cached summary at once, else a deferred response and a task that fills it in."""
    options = options_of(interaction)
    if (refusal := language_refusal(options)) is not None:
        return refusal
    language = options.get("language")
    if options.get("file") is not None:
        return summarize_attachment(interaction, options, engine, discord, spawn)
    if options.get("url") is None:
        return ephemeral(ASK)
    try:
        video_id = parse_video_id(options["url"])
        job, finished = await engine.submit(
            video_id, [language] if language else None, requester_of(interaction)
        )
    except SummaryError as error:
        return ephemeral(failure_text(error))
    # Answered now, once `submit` returned (a second at 0.1 CPU with Redis), not when the interaction came:
    # the follow-ups wait `FIRST_EDIT_DELAY` from here. (The token's deadline moves as much later, well within
    # the margin `TOKEN_EDIT_WINDOW` keeps.)
    reply = Reply.to(interaction, discord, engine.settings.public_url)
    if not finished:
        expires_at = time.time() + reply.deadline - time.monotonic()  # wall clock: read by other processes
        await engine.report(job, DiscordSink(reply.application_id, reply.token, expires_at))
        return DEFERRED
    if job.status is JobStatus.FAILED:
        return ephemeral(failure_text(job.error or SummaryError("internal_error")))
    first, *rest = summary_messages(job, page_url(reply.public_url, job.id))
    if rest:
        spawn(send_followups(reply, rest))
    return {"type": 4, "data": first}


class AttachmentUnavailable(Exception):
    """An attachment could not be downloaded; the message says why, for the user."""


def attachment_of(interaction: dict[str, Any], attachment_id: object) -> dict[str, Any] | None:
    """The attachment an ATTACHMENT option names (`data.resolved.attachments[id]`: url, size, filename)."""
    resolved = field(field(field(interaction, "data"), "resolved"), "attachments")
    found = resolved.get(str(attachment_id))
    return found if isinstance(found, dict) and isinstance(found.get("url"), str) else None


def summarize_attachment(
    interaction: dict[str, Any], options: dict[str, Any], engine: Engine, discord: DiscordClient, spawn: Spawn
) -> Message:
    """`/summarize file:…`: name and size checked now (a message only the user sees), the rest deferred."""
    attachment = attachment_of(interaction, options["file"])
    if attachment is None:
        return ephemeral("I could not find the attached file. Please attach it again.")
    name = str(attachment.get("filename") or "subtitles")
    if not name.lower().endswith(EXTENSIONS):
        return ephemeral(
            f"`file` should be a subtitle file (.srt, .vtt or .txt, UTF-8); {escape(name)} is not."
        )
    limits = Limits.from_settings(engine.settings)
    if isinstance(size := attachment.get("size"), int) and size > limits.max_bytes:
        return ephemeral(f"{escape(name)}: {too_large(size, limits)}")
    video_id = None
    if options.get("url"):
        try:
            video_id = parse_video_id(options["url"])
        except SummaryError as error:
            return ephemeral(failure_text(error))
    reply = Reply.to(interaction, discord, engine.settings.public_url)  # (answered now: nothing was awaited)
    reading = read_attachment(
        reply, engine, attachment["url"], name, video_id, options.get("language"), requester_of(interaction)
    )
    spawn(settle(reply, reading, f"reading the attachment {name}"))
    return DEFERRED


async def read_attachment(
    reply: Reply,
    engine: Engine,
    url: str,
    name: str,
    video_id: str | None,
    language: str | None,
    requester: str,
) -> Message | None:
    """Download and read the file, submit its transcript, and show the job in the deferred response; what
    is wrong with the file instead, as the message to show (run by `settle`)."""
    settings = engine.settings
    try:
        data = await download(
            reply.discord, url, settings.discord_attachment_origins, settings.subtitles_max_bytes
        )
        job, finished = await engine.submit_file(data, name, requester, video_id=video_id, language=language)
    except (SummaryError, AttachmentUnavailable) as error:
        if isinstance(error, SummaryError) and error.code != "invalid_subtitles":
            raise  # busy, rate_limited: `settle` says when to come back
        problem = error.message if isinstance(error, SummaryError) else str(error)
        return render.message(f"Couldn't read {escape(name)}: {escape(problem)}")
    if finished:
        await deliver(job, reply)
    else:
        expires_at = time.time() + reply.deadline - time.monotonic()
        await engine.report(job, DiscordSink(reply.application_id, reply.token, expires_at))
    return None


async def settle(reply: Reply, work: Awaitable[Message | None], what: str, mark: str = "") -> None:
    """Await `work`, done after a deferred answer, then edit the response to the message it ends with (None:
    `work` showed its outcome itself, e.g. by following a job). A `SummaryError` is edited in as its failure
    text after `mark`; anything else is logged here, once, and edited in as the internal error: the user
    always gets an answer, never "thinking…" forever (the CPU process crashed, say). Cancelled (the service
    stops, and `work` did not end within `STOP_GRACE`), it edits in `interrupted` (run the command again),
    within `STOP_GRACE`, and stays cancelled. `what` names the work in logs."""
    try:
        shown = await work
    except SummaryError as error:
        shown = render.message(mark + failure_text(error))
    except asyncio.CancelledError:
        await tell_cut_short(
            edit_in(reply, render.message(mark + failure_text(SummaryError("interrupted"))), what), what
        )
        raise
    except Exception:
        log.exception("discord: %s failed", what)
        shown = render.message(mark + failure_text(SummaryError("internal_error")))
    if shown is not None:
        await edit_in(reply, shown, what)


async def edit_in(reply: Reply, shown: Message, what: str) -> None:
    """Edit the deferred response to `shown`, the outcome of `what` (a refusal is logged, not raised)."""
    await reply.answered()
    try:
        await reply.discord.edit_original(reply.application_id, reply.token, shown)
    except DiscordError as error:
        log.warning("discord: could not show the outcome of %s: %s", what, error)


def origin(url: str) -> str:
    """`scheme://host[:port]` of `url`, lowercase, the default port left out (`ValueError` if unreadable)."""
    parts = urlsplit(url)
    port = parts.port  # raises ValueError for a port that is not a number
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    host = (parts.hostname or "").rstrip(".")
    return f"{parts.scheme}://{host}{'' if port in (None, default) else f':{port}'}".lower()


def is_attachment_url(url: str, origins: Collection[str]) -> bool:
    """Whether `url` is on one of `origins` (DISCORD_ATTACHMENT_ORIGINS: Discord's CDN): the only places an
    attachment is fetched from, so a forged interaction's URL cannot make this server fetch anything else."""
    try:
        return origin(url) in {origin(allowed) for allowed in origins}
    except ValueError:
        return False


async def download(discord: DiscordClient, url: str, origins: Collection[str], max_bytes: int) -> bytes:
    """An attachment's bytes, at most `max_bytes`, over the Discord client's HTTP client (no credentials:
    attachment URLs are signed; no redirects), only from `origins`."""
    import httpx

    if not is_attachment_url(url, origins):
        raise AttachmentUnavailable("the attachment is not on Discord's servers.")
    OUTBOUND.labels("discord").inc()
    try:
        async with (await discord.pool()).stream("GET", url) as response:
            if response.status_code != 200:
                raise AttachmentUnavailable(
                    f"Discord answered {response.status_code}; please attach it again."
                )
            received = bytearray()
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) > max_bytes:
                    raise AttachmentUnavailable(f"it is over the {byte_size(max_bytes)} I take.")
    except httpx.HTTPError as error:
        OUTBOUND_ERRORS.labels("discord").inc()
        log.warning("discord: download of an attachment failed: %r", error)
        raise AttachmentUnavailable("Discord did not hand it to me; please attach it again.") from None
    except AttachmentUnavailable:
        OUTBOUND_ERRORS.labels("discord").inc()
        raise
    return bytes(received)
