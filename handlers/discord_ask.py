"""`/ask video:<link> question:<text> [language:<code>]` in Discord: the moments of a video that answer a
question.

A cached answer is the interaction response itself; otherwise the response is deferred ("thinking…") and
a background task edits it with the answer once the passages are found, well within the interaction
token's 15 minutes, or with what went wrong (also when it was unexpected: `handlers.discord.settle`).
Questions count against the user's rate limit like summaries. A video the user summarized from a subtitle
file (`/summarize file:`) is searched in that file (`Asker.subject`).
"""

from __future__ import annotations

from typing import Any

from bot.ask_render import discord_answer
from bot.discord import DiscordClient
from bot.discord_render import Message, ephemeral, failure_text
from handlers.discord import (
    APPLICATION_COMMAND,
    DEFERRED,
    Reply,
    Spawn,
    language_refusal,
    options_of,
    requester_of,
    settle,
)
from handlers.discord import respond as respond_other
from handlers.payload import field
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.links import parse_video_id

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
    if (refusal := language_refusal(options)) is not None:
        return refusal
    language = options.get("language")
    requester = requester_of(interaction)
    try:
        video_id = parse_video_id(options.get("video", ""))
        question = str(options.get("question", ""))
        languages = engine.languages_for([language] if language else None)
        subject, cached = await engine.asker.look_up(video_id, languages, question, requester)
        if cached is not None:
            return {"type": 4, "data": discord_answer(cached)}
    except SummaryError as error:
        return ephemeral(failure_text(error))

    async def answer() -> Message:
        return discord_answer(await engine.asker.ask(subject, question, requester, looked_up=True))

    spawn(settle(Reply.to(interaction, discord), answer(), f"/ask on {video_id}", mark="⚠️ "))
    return DEFERRED
