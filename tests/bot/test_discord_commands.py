"""`python -m bot.discord_commands` registers `/summarize` (real process, real HTTP to a fake Discord)."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from tests.support.data import ROOT
from tests.support.fake_discord import FakeDiscord
from tests.support.servers import serve


async def run_cli(base_url: str, *args: str, **env: str) -> tuple[int, str, str]:
    environment = {
        **os.environ,
        "DISCORD_API_BASE_URL": base_url,
        "DISCORD_APPLICATION_ID": "111122223333",
        "DISCORD_BOT_TOKEN": "bot-token",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.discord_commands",
        *args,
        cwd=ROOT,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ((), "/applications/111122223333/commands"),
        (("--guild", "42"), "/applications/111122223333/guilds/42/commands"),
    ],
)
async def test_registers_summarize_and_ask_globally_or_in_one_guild(args: tuple[str, ...], path: str) -> None:
    fake = FakeDiscord()
    async with serve(fake.app) as url:
        code, out, err = await run_cli(f"{url}/api/v10", *args)
    assert code == 0, err
    [call] = fake.calls
    assert (call.method, call.path) == ("PUT", path)
    assert call.headers["authorization"] == "Bot bot-token"
    summarize, ask = call.body
    assert summarize["name"] == "summarize" and summarize["description"]
    url_option, language_option, file_option = summarize["options"]
    # `url` is optional since a subtitle file in `file` can stand alone (the handler asks for one of them).
    assert (url_option["name"], url_option["type"], url_option["required"]) == ("url", 3, False)
    assert url_option["description"] and url_option["max_length"] == 2048
    assert (language_option["name"], language_option["type"], language_option["required"]) == (
        "language",
        3,
        False,
    )
    assert (file_option["name"], file_option["type"], file_option["required"]) == ("file", 11, False)
    # Discord refuses option descriptions over 100 characters.
    assert all(0 < len(option["description"]) <= 100 for option in summarize["options"])

    assert ask["name"] == "ask" and ask["description"]
    assert [(o["name"], o["type"], o["required"]) for o in ask["options"]] == [
        ("video", 3, True),
        ("question", 3, True),
        ("language", 3, False),
    ]
    assert ask["options"][1]["max_length"] == 300

    assert out.startswith("registered 2 command(s) ")
    stored = json.loads(out.split("\n", 1)[1])
    assert [c["name"] for c in stored] == ["summarize", "ask"] and stored[0]["id"]


async def test_without_a_bot_token_it_explains_and_fails() -> None:
    fake = FakeDiscord()
    async with serve(fake.app) as url:
        code, _, err = await run_cli(f"{url}/api/v10", DISCORD_BOT_TOKEN="")
    assert code == 1 and "DISCORD_BOT_TOKEN" in err and fake.calls == []
