"""Register the `/summarize` and `/ask` slash commands: `python -m bot.discord_commands [--guild ID]`.

Needs DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (environment or `.env`). Without `--guild` the
command is registered globally (all servers and DMs with the bot); with it, only in that server, where
changes show at once (handy while testing). Overwrites the application's commands in that scope.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.discord import DiscordClient, DiscordError
from core.config import Settings
from summarizer.ask import MAX_QUESTION_CHARS
from summarizer.links import MAX_INPUT_CHARS

STRING, ATTACHMENT = 3, 11  # application command option types
GUILD, BOT_DM = 0, 1  # interaction contexts where the command can be used

SUMMARIZE: dict[str, Any] = {
    "name": "summarize",
    "type": 1,  # CHAT_INPUT (a slash command)
    "description": "Summarize a YouTube video with timestamped key points",
    "contexts": [GUILD, BOT_DM],
    "options": [
        # Not required: `file` alone works too (the handler asks for one of the two).
        {
            "type": STRING,
            "name": "url",
            "description": "A YouTube video link (or its 11-character id)",
            "required": False,
            "max_length": MAX_INPUT_CHARS,
        },
        {
            "type": STRING,
            "name": "language",
            "description": "Preferred caption language, e.g. en, de or pt-BR",
            "required": False,
            "max_length": 35,
        },
        {
            "type": ATTACHMENT,
            "name": "file",
            "description": "The video's subtitle file (.srt, .vtt or .txt): when YouTube won't give me its captions",
            "required": False,
        },
    ],
}
ASK: dict[str, Any] = {
    "name": "ask",
    "type": 1,
    "description": "Find the moments of a YouTube video that answer a question",
    "contexts": [GUILD, BOT_DM],
    "options": [
        {**SUMMARIZE["options"][0], "name": "video", "required": True},
        {
            "type": STRING,
            "name": "question",
            "description": "What to look for, e.g. where does he explain attention?",
            "required": True,
            "max_length": MAX_QUESTION_CHARS,
        },
        SUMMARIZE["options"][1],  # language
    ],
}
COMMANDS = [SUMMARIZE, ASK]


async def register(settings: Settings, guild_id: str | None) -> list[dict[str, Any]]:
    """PUT the commands; returns what Discord stored."""
    if not settings.discord_application_id:
        raise DiscordError(None, "DISCORD_APPLICATION_ID is needed to register commands")
    client = DiscordClient.from_settings(settings)
    try:
        stored: list[dict[str, Any]] = await client.register_commands(
            settings.discord_application_id, COMMANDS, guild_id
        )
        return stored
    finally:
        await client.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.discord_commands", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--guild", metavar="ID", help="register in this server only (instant) instead of globally"
    )
    args = parser.parse_args(argv)
    try:
        stored = asyncio.run(register(Settings(), args.guild))
    except DiscordError as error:
        print(f"registration failed: {error}", file=sys.stderr)
        return 1
    where = f"in guild {args.guild}" if args.guild else "globally"
    print(f"registered {len(stored)} command(s) {where}:")
    print(json.dumps(stored, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
