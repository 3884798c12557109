"""The Discord surface of the real app: interactions signed like Discord signs them (real Ed25519 keys),
posted to the app under uvicorn, whose edits and follow-ups reach a local fake of Discord (`fake_discord`);
what those messages hold, read back."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from nacl.signing import SigningKey

from api.main import create_app
from bot.discord_render import (
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBED_TOTAL_MAX,
    EMBEDS_MAX,
    FIELD_NAME_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    embeds_size,
    point_line,
)
from bot.render_parts import utf16_len
from core.config import Settings
from summarizer.cpu_process import InlineRunner, Runner
from summarizer.jobs import chunk_from_dict
from tests.support.data import TRANSCRIPTS
from tests.support.fake_discord import Call, FakeDiscord
from tests.support.servers import serve

APP = "111122223333"
LINK = re.compile(r"^\[\d+(?::\d\d)+\]\(https://youtu\.be/[\w-]{11}\?t=\d+\) ")


@dataclass
class Service:
    http: httpx.AsyncClient
    fake: FakeDiscord
    key: SigningKey

    async def send(self, interaction: dict[str, Any]) -> httpx.Response:
        body = orjson.dumps(interaction)
        return await self.http.post("/discord/interactions", content=body, headers=signed(self.key, body))

    async def summarize(self, url: str | None, token: str = "tok-1", **extra: Any) -> dict[str, Any]:
        response = await self.send(command(url, token=token, **extra))
        assert response.status_code == 200
        answer: dict[str, Any] = response.json()
        return answer

    async def rest_job(self, video_id: str) -> dict[str, Any]:
        """The finished job as REST serves it (from the cache)."""
        response = await self.http.post("/v1/summaries", json={"url": video_id})
        assert response.status_code == 200
        job: dict[str, Any] = response.json()
        return job


def signed(key: SigningKey, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """Headers as Discord sends them: Ed25519 over the timestamp followed by the raw body."""
    timestamp = timestamp or str(int(time.time()))
    signature = key.sign(timestamp.encode() + body).signature.hex()
    return {
        "X-Signature-Ed25519": signature,
        "X-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def command(
    url: str | None,
    *,
    token: str = "tok-1",
    name: str = "summarize",
    language: str | None = None,
    user: str = "42",
    in_guild: bool = True,
    file: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A slash command as Discord posts it; `file` is an attachment (`FakeDiscord.attach`) for the `file`
    option, which Discord sends as its id with the attachment in `data.resolved`."""
    options = [{"name": "url", "type": 3, "value": url}] if url is not None else []
    if language is not None:
        options.append({"name": "language", "type": 3, "value": language})
    if file is not None:
        options.append({"name": "file", "type": 11, "value": file["id"]})
    interaction: dict[str, Any] = {
        "type": 2,
        "id": "900",
        "application_id": APP,
        "token": token,
        "channel_id": "800",
        "data": {"id": "700", "name": name, "type": 1, "options": options},
    }
    if file is not None:
        interaction["data"]["resolved"] = {"attachments": {file["id"]: file}}
    if in_guild:
        interaction |= {"guild_id": "600", "member": {"user": {"id": user, "username": "someone"}}}
    else:
        interaction["user"] = {"id": user, "username": "someone"}
    return interaction


def ask(video: str, question: str, token: str = "tok-1", **extra: Any) -> dict[str, Any]:
    """`/ask` as Discord posts it (`extra` as for `command`)."""
    interaction = command(None, name="ask", token=token, **extra)
    interaction["data"]["options"] += [
        {"name": "video", "type": 3, "value": video},
        {"name": "question", "type": 3, "value": question},
    ]
    return interaction


@asynccontextmanager
async def discord_service(runner: Runner | None = None, **overrides: Any) -> AsyncIterator[Service]:
    """A fake Discord and the app under uvicorn configured for it, with a signing key of its own."""
    key = SigningKey.generate()
    fake = FakeDiscord()
    async with serve(fake.app) as fake_url:
        fake.url = fake_url  # where its attachments are
        values: dict[str, Any] = {
            "transcript_dir": str(TRANSCRIPTS),
            "discord_public_key": key.verify_key.encode().hex(),
            "discord_api_base_url": f"{fake_url}/api/v10",
            "discord_attachment_origins": [fake_url],
        }
        settings = Settings(**(values | overrides))
        async with (
            serve(create_app(settings, runner or InlineRunner())) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as http,
        ):
            yield Service(http, fake, key)


def edits(fake: FakeDiscord, token: str = "tok-1") -> list[Call]:
    return [c for c in fake.ok_calls("PATCH") if c.path == f"/webhooks/{APP}/{token}/messages/@original"]


def followups(fake: FakeDiscord, token: str = "tok-1") -> list[Call]:
    return [c for c in fake.ok_calls("POST") if c.path == f"/webhooks/{APP}/{token}"]


def is_final(call: Call) -> bool:
    """Whether an edit shows the finished summary: its chapters are embed fields (progress has none)."""
    return bool(call.body["embeds"]) and "fields" in call.body["embeds"][0]


def check_message(message: dict[str, Any]) -> None:
    """Discord's limits for a message (counted as Discord does), and no mentions."""
    assert message["allowed_mentions"] == {"parse": []}
    assert utf16_len(message["content"]) <= CONTENT_MAX and len(message["embeds"]) <= EMBEDS_MAX
    for embed in message["embeds"]:
        assert utf16_len(embed.get("description", "")) <= DESCRIPTION_MAX
        assert len(embed.get("fields", [])) <= FIELDS_MAX
        for field in embed.get("fields", []):
            assert utf16_len(field["name"]) <= FIELD_NAME_MAX and utf16_len(field["value"]) <= FIELD_VALUE_MAX
    assert embeds_size(message) <= EMBED_TOTAL_MAX


def lines_of(messages: list[dict[str, Any]]) -> list[str]:
    """The key points of summary messages: the lines of their chapters' embed fields."""
    return [
        line
        for m in messages
        for e in m["embeds"]
        for field in e.get("fields", [])
        for line in field["value"].split("\n")
        if LINK.match(line)
    ]


def expected_lines(job: dict[str, Any]) -> list[str]:
    return [point_line(p) for c in job["chunks"] for p in chunk_from_dict(c).points]
