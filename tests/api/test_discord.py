"""Discord end to end: the real app under uvicorn, requests signed like Discord signs them (real Ed25519
keys), and a real local fake of Discord's REST API receiving the edits and follow-ups."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest
from nacl.signing import SigningKey

from api.main import create_app
from bot.discord import DiscordClient
from bot.discord_render import CONTENT_MAX, DESCRIPTION_MAX, EMBED_TOTAL_MAX, point_line
from core.config import Settings
from core.telemetry import DISCORD_TOKENS_EXPIRED
from handlers.discord import Reply, deliver
from summarizer.cpu_process import InlineRunner, Runner
from summarizer.engine import Engine
from summarizer.jobs import chunk_from_dict
from tests.api.test_summaries import GatedRunner
from tests.bot.fake_discord import Call, FakeDiscord
from tests.conftest import TRANSCRIPTS, serve

APP = "111122223333"
SHORT = "LPZh9BOjkQs"  # 2 chunks
MEDIUM = "eMlx5fFNoYc"  # 6 chunks
LONG = "cdiD-9MMpb0"  # 3.5 h, 44 chunks: overflows into follow-ups
LINK = re.compile(r"^\[\d+(?::\d\d)+\]\(https://youtu\.be/[\w-]{11}\?t=\d+\) ")


@dataclass
class Service:
    http: httpx.AsyncClient
    fake: FakeDiscord
    key: SigningKey

    async def send(self, interaction: dict[str, Any]) -> httpx.Response:
        body = orjson.dumps(interaction)
        return await self.http.post("/discord/interactions", content=body, headers=signed(self.key, body))

    async def summarize(self, url: str, token: str = "tok-1", **extra: Any) -> dict[str, Any]:
        response = await self.send(command(url, token=token, **extra))
        assert response.status_code == 200
        return response.json()

    async def rest_job(self, video_id: str) -> dict[str, Any]:
        """The finished job as REST serves it (from the cache)."""
        response = await self.http.post("/v1/summaries", json={"url": video_id})
        assert response.status_code == 200
        return response.json()


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
) -> dict[str, Any]:
    options = [{"name": "url", "type": 3, "value": url}] if url is not None else []
    if language is not None:
        options.append({"name": "language", "type": 3, "value": language})
    interaction: dict[str, Any] = {
        "type": 2,
        "id": "900",
        "application_id": APP,
        "token": token,
        "channel_id": "800",
        "data": {"id": "700", "name": name, "type": 1, "options": options},
    }
    if in_guild:
        interaction |= {"guild_id": "600", "member": {"user": {"id": user, "username": "someone"}}}
    else:
        interaction["user"] = {"id": user, "username": "someone"}
    return interaction


@asynccontextmanager
async def discord_service(runner: Runner | None = None, **overrides: Any) -> AsyncIterator[Service]:
    key = SigningKey.generate()
    fake = FakeDiscord()
    async with serve(fake.app) as fake_url:
        settings = Settings(
            transcript_dir=str(TRANSCRIPTS),
            discord_public_key=key.verify_key.encode().hex(),
            discord_api_base_url=f"{fake_url}/api/v10",
            **overrides,
        )
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
    return bool(call.body["embeds"]) and call.body["embeds"][0]["description"].startswith("**TL;DR**")


def check_message(message: dict[str, Any]) -> None:
    assert message["allowed_mentions"] == {"parse": []}
    assert len(message["content"]) <= CONTENT_MAX
    assert all(len(e["description"]) <= DESCRIPTION_MAX for e in message["embeds"])
    assert sum(len(e["title"]) + len(e["description"]) for e in message["embeds"]) <= EMBED_TOTAL_MAX


def lines_of(messages: list[dict[str, Any]]) -> list[str]:
    return [
        line
        for m in messages
        for e in m["embeds"]
        for line in e["description"].split("\n")
        if LINK.match(line)
    ]


def expected_lines(job: dict[str, Any]) -> list[str]:
    return [point_line(p) for c in job["chunks"] for p in chunk_from_dict(c).points]


# --- signatures -----------------------------------------------------------------------------------


@pytest.fixture
async def service() -> AsyncIterator[Service]:
    async with discord_service() as service:
        yield service


async def test_ping_is_answered_with_pong(service: Service) -> None:
    response = await service.send({"type": 1, "id": "1", "application_id": APP, "token": "t"})
    assert response.status_code == 200 and response.json() == {"type": 1}
    assert response.headers["content-type"] == "application/json"


def _bad_requests(key: SigningKey) -> dict[str, tuple[bytes, dict[str, str]]]:
    body = orjson.dumps({"type": 1})
    good = signed(key, body)
    now = int(time.time())
    return {
        "no headers": (body, {}),
        "no signature": (body, {"X-Signature-Timestamp": good["X-Signature-Timestamp"]}),
        "no timestamp": (body, {"X-Signature-Ed25519": good["X-Signature-Ed25519"]}),
        "bad signature": (body, {**good, "X-Signature-Ed25519": "ab" * 64}),
        "wrong key": (body, signed(SigningKey.generate(), body)),
        "malformed hex": (body, {**good, "X-Signature-Ed25519": "zz" * 64}),
        "short signature": (body, {**good, "X-Signature-Ed25519": good["X-Signature-Ed25519"][:64]}),
        "altered body": (orjson.dumps({"type": 2}), good),
        "other timestamp": (body, {**good, "X-Signature-Timestamp": str(now + 1)}),
        "old timestamp": (body, signed(key, body, str(now - 600))),
        "future timestamp": (body, signed(key, body, str(now + 600))),
        "timestamp not a number": (body, signed(key, body, "yesterday")),
    }


async def test_missing_malformed_wrong_or_stale_signatures_get_401(service: Service) -> None:
    for case, (body, headers) in _bad_requests(service.key).items():
        response = await service.http.post("/discord/interactions", content=body, headers=headers)
        assert response.status_code == 401, case
        assert response.json()["error"]["code"] == "invalid_signature", case
    assert service.fake.calls == []


async def test_without_a_public_key_the_endpoint_is_not_there() -> None:
    async with (
        serve(create_app(Settings(transcript_dir=str(TRANSCRIPTS)), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        response = await http.post("/discord/interactions", json={"type": 1})
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


# --- answers in the request ----------------------------------------------------------------------


async def test_unknown_commands_types_and_bad_input_get_a_polite_ephemeral_message(service: Service) -> None:
    cases = {
        "unknown command": command(SHORT, name="weather"),
        "component click": {"type": 3, "id": "1", "application_id": APP, "token": "t", "data": {}},
        "invalid link": command("https://vimeo.com/123"),
        "no url": command(None),
        "bad language": command(SHORT, language="english!"),
    }
    for case, interaction in cases.items():
        response = await service.send(interaction)
        assert response.status_code == 200, case
        answer = response.json()
        assert answer["type"] == 4 and answer["data"]["flags"] == 64, case
        assert answer["data"]["content"] and answer["data"]["allowed_mentions"] == {"parse": []}, case
    answer = (await service.send(cases["invalid link"])).json()
    assert "youtu.be" in answer["data"]["content"]
    await asyncio.sleep(1.2)  # nothing was started in the background
    assert service.fake.calls == []


async def test_too_many_jobs_of_one_user_says_when_to_retry() -> None:
    runner = GatedRunner()
    async with discord_service(runner, max_jobs_per_requester=1) as service:
        assert await service.summarize(SHORT) == {"type": 5}
        refused = await service.summarize(MEDIUM, token="tok-2")
        assert refused["type"] == 4 and refused["data"]["flags"] == 64
        assert re.search(r"<t:\d+:R>", refused["data"]["content"])
        other_user = await service.summarize(MEDIUM, token="tok-3", user="43", in_guild=False)
        assert other_user == {"type": 5}
        runner.release(100)
        await service.fake.wait_for(lambda f: any(map(is_final, edits(f, "tok-3"))))


# --- the deferred flow ---------------------------------------------------------------------------


async def test_deferred_ack_then_live_edits_then_the_final_embed() -> None:
    runner = GatedRunner()
    async with discord_service(runner) as service:
        fake = service.fake
        assert await service.summarize(f"https://www.youtube.com/watch?v={MEDIUM}&t=10") == {"type": 5}

        await fake.wait_for(lambda f: len(edits(f)) >= 1)
        assert edits(fake)[0].body["content"].startswith(("Queued", "Working on"))
        runner.release()  # one chunk done: an edit shows it (and its points) while the rest waits
        await fake.wait_for(lambda f: any("1/6 parts" in c.body["content"] for c in edits(f)))
        progress = next(c for c in edits(fake) if "1/6 parts" in c.body["content"])
        assert progress.body["content"].startswith("Working on Visualizing Attention")
        assert len(lines_of([progress.body])) == 3

        runner.release(5)
        await fake.wait_for(lambda f: any(map(is_final, edits(f))))
        job = await service.rest_job(MEDIUM)
        # 18 points and the TL;DR are more than one embed holds: the last points follow in a follow-up.
        await fake.wait_for(
            lambda f: len(lines_of([edits(f)[-1].body] + [c.body for c in followups(f)])) == 18
        )

    final = edits(fake)[-1]
    assert is_final(final) and final.body["content"] == ""
    embed = final.body["embeds"][0]
    assert embed["title"] == job["title"] and embed["url"] == f"https://www.youtube.com/watch?v={MEDIUM}"
    assert embed["footer"]["text"] == "Part 1 of 2"
    [rest] = followups(fake)
    assert rest.body["embeds"][0]["footer"]["text"] == "Part 2 of 2"
    assert lines_of([final.body, rest.body]) == expected_lines(job)
    for call in fake.calls:
        check_message(call.body)
        assert call.headers["user-agent"].startswith("DiscordBot (")
    gaps = [b.at - a.at for a, b in zip(edits(fake), edits(fake)[1:], strict=False) if not is_final(b)]
    assert all(gap >= 2.9 for gap in gaps)  # progress edits are coalesced to one per 3 s


async def test_a_long_summary_overflows_into_follow_ups_and_429_is_honored() -> None:
    async with discord_service() as service:
        fake = service.fake
        fake.rate_limit_next(0.2)  # the first call is rate limited
        assert await service.summarize(LONG) == {"type": 5}
        await fake.wait_for(lambda f: any(map(is_final, edits(f))) and len(followups(f)) >= 1)
        job = await service.rest_job(LONG)
        await fake.wait_for(
            lambda f: len(lines_of([edits(f)[-1].body] + [c.body for c in followups(f)])) == 132
        )

        limited, retried = fake.calls[:2]
        assert limited.status == 429 and retried.status == 200 and retried.at - limited.at >= 0.2
        deferred = [edits(fake)[-1].body] + [c.body for c in followups(fake)]
        assert lines_of(deferred) == expected_lines(job)
        assert len(deferred) > 2

        # Now cached: the answer carries the first message, the rest follow as follow-ups.
        cached = await service.summarize(LONG, token="tok-2", user="43", in_guild=False)
        assert cached["type"] == 4 and "flags" not in cached["data"]
        await fake.wait_for(lambda f: len(followups(f, "tok-2")) == len(deferred) - 1)
        assert [cached["data"]] + [c.body for c in followups(fake, "tok-2")] == deferred
        assert edits(fake, "tok-2") == []
    for message in deferred:
        check_message(message)


async def test_cached_summary_is_answered_at_once_with_type_4() -> None:
    async with discord_service() as service:
        assert await service.summarize(SHORT) == {"type": 5}
        await service.fake.wait_for(lambda f: any(map(is_final, edits(f))))
        job = await service.rest_job(SHORT)

        answer = await service.summarize(f"https://youtu.be/{SHORT}", token="tok-2")
        assert answer["type"] == 4 and "flags" not in answer["data"]
        check_message(answer["data"])
        assert answer["data"] == edits(service.fake)[-1].body
        assert lines_of([answer["data"]]) == expected_lines(job)
        await asyncio.sleep(1.2)
        assert edits(service.fake, "tok-2") == followups(service.fake, "tok-2") == []


async def test_a_failure_is_edited_in_then_answered_from_the_cache() -> None:
    async with discord_service() as service:
        assert await service.summarize("AAAAAAAAAAA") == {"type": 5}
        await service.fake.wait_for(lambda f: any("Couldn't" in c.body["content"] for c in edits(f)))
        final = edits(service.fake)[-1].body
        assert final["content"].startswith("Couldn't summarize <https://www.youtube.com/watch?v=AAAAAAAAAAA>")
        assert "no captions" in final["content"] and final["embeds"] == []

        again = await service.summarize("AAAAAAAAAAA", token="tok-2")
        assert (
            again["type"] == 4 and again["data"]["flags"] == 64 and "no captions" in again["data"]["content"]
        )


async def test_edits_stop_when_the_token_is_about_to_expire(caplog: pytest.LogCaptureFixture) -> None:
    runner = GatedRunner()
    engine = Engine.from_settings(Settings(transcript_dir=str(TRANSCRIPTS)), runner)
    fake = FakeDiscord()
    await engine.start()
    async with serve(fake.app) as url:
        client = DiscordClient(f"{url}/api/v10")
        try:
            job, _ = await engine.submit(SHORT)
            reply = Reply(client, APP, "tok-1", deadline=time.monotonic() + 1.5)  # 1 s first-edit delay
            expired_before = DISCORD_TOKENS_EXPIRED._value.get()
            with caplog.at_level(logging.WARNING, logger="handlers.discord"):
                await deliver(job, reply)
            assert DISCORD_TOKENS_EXPIRED._value.get() == expired_before + 1  # recorded in the metrics
            assert len(edits(fake)) == 1  # the first state, then the window closed
            runner.release(2)
            async for current in job.changes():
                assert current is not None
            await asyncio.sleep(0.1)
        finally:
            await client.close()
            await engine.stop()
    assert len(edits(fake)) == 1 and job.status.value == "done"
    [record] = [r for r in caplog.records if "expired" in r.getMessage()]
    assert job.id in record.getMessage()
