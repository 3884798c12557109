"""`/ask video:<link> question:<text> [language:<code>]` in Discord: the moments of a video that answer a
question.

A cached answer is the interaction response itself; otherwise the response is deferred ("thinking…") and
a background task edits it with the answer (or what went wrong) once the passages are found, well within
the interaction token's 15 minutes. Questions count against the user's rate limit like summaries.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.ask_render import discord_answer
from bot.discord import DiscordClient, DiscordError
from bot.discord_render import ephemeral, failure_text, message
from core.formats import is_language_code
from handlers.discord import APPLICATION_COMMAND, DEFERRED, FIRST_EDIT_DELAY, Spawn, options_of, requester_of
from handlers.discord import respond as respond_other
from handlers.payload import field
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.links import parse_video_id

log = logging.getLogger(__name__)

COMMAND = "ask"


async def respond(
    interaction: dict[str, Any], engine: Engine, discord: DiscordClient, spawn: Spawn
) -> dict[str, Any]:
    """The interaction response: `/ask` here, every other interaction by `handlers.discord.respond`."""
    if interaction.get("type") == APPLICATION_COMMAND and field(interaction, "data").get("name") == COMMAND:
        return await ask(interaction, engine, discord, spawn)
    return await respond_other(interaction, engine, discord, spawn)


async def ask(
    interaction: dict[str, Any], engine: Engine, discord: DiscordClient, spawn: Spawn
) -> dict[str, Any]:
    """The interaction response to `/ask`; the answer at once when cached, else deferred and edited."""
    options = options_of(interaction)
    language = options.get("language")
    if language is not None and not is_language_code(language):
        return ephemeral("`language` should be a language code such as `en`, `de` or `pt-BR`.")
    try:
        video_id = parse_video_id(options.get("video", ""))
        question = str(options.get("question", ""))
        languages = engine.languages_for([language] if language else None)
        if (cached := await engine.asker.cached(video_id, question, languages)) is not None:
            return {"type": 4, "data": discord_answer(cached)}
    except SummaryError as error:
        return ephemeral(failure_text(error))
    application_id, token = str(interaction.get("application_id", "")), str(interaction.get("token", ""))
    loop = asyncio.get_running_loop()
    deferred_at = loop.time()

    async def answer() -> None:
        try:
            found = await engine.asker.ask(video_id, question, languages, requester_of(interaction))
            reply = discord_answer(found)
        except SummaryError as error:
            reply = message(f"⚠️ {failure_text(error)}")
        # Never before our deferred response reaches Discord.
        await asyncio.sleep(max(0.0, deferred_at + FIRST_EDIT_DELAY - loop.time()))
        try:
            await discord.edit_original(application_id, token, reply)
        except DiscordError as error:
            log.warning("discord: could not show the answer to /ask on %s: %s", video_id, error)

    spawn(answer())
    return DEFERRED
