"""The Discord REST client against a real local fake of Discord: headers, 429, 5xx, refusals."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from bot.discord import USER_AGENT, DiscordClient, DiscordError
from core.acks import AckGate
from tests.support.fake_discord import FakeDiscord
from tests.support.servers import serve

APP, TOKEN = "123456789", "interaction-token"
ORIGINAL = f"/webhooks/{APP}/{TOKEN}/messages/@original"


Discord = tuple[FakeDiscord, DiscordClient]


@pytest.fixture
async def discord() -> AsyncIterator[Discord]:
    fake = FakeDiscord()
    async with serve(fake.app) as url:
        client = DiscordClient(f"{url}/api/v10", bot_token="bot-token", backoff=0.01)
        try:
            yield fake, client
        finally:
            await client.close()


async def test_edit_and_follow_up_go_to_the_webhook_paths_with_discords_headers(discord: Discord) -> None:
    fake, client = discord
    await client.edit_original(APP, TOKEN, {"content": "hi"})
    await client.followup(APP, TOKEN, {"content": "more"})
    assert [(c.method, c.path, c.body) for c in fake.calls] == [
        ("PATCH", ORIGINAL, {"content": "hi"}),
        ("POST", f"/webhooks/{APP}/{TOKEN}", {"content": "more"}),
    ]
    for call in fake.calls:
        assert call.headers["user-agent"] == USER_AGENT and USER_AGENT.startswith("DiscordBot (https://")
        assert call.headers["content-type"] == "application/json"
        assert "authorization" not in call.headers  # the interaction token is the credential


@pytest.mark.parametrize("is_global", [False, True])
async def test_429_waits_retry_after_then_retries(discord: Discord, is_global: bool) -> None:
    fake, client = discord
    fake.rate_limit_next(0.2, is_global)
    await client.edit_original(APP, TOKEN, {"content": "hi"})
    limited, retried = fake.calls
    assert (limited.status, retried.status) == (429, 200)
    assert retried.at - limited.at >= 0.2
    assert retried.body == {"content": "hi"}


async def test_429_without_a_json_body_uses_the_retry_after_header(discord: Discord) -> None:
    fake, client = discord
    fake.fail_next(429, "slow down", {"Retry-After": "1"})
    await client.edit_original(APP, TOKEN, {"content": "hi"})
    limited, retried = fake.calls
    assert retried.status == 200 and retried.at - limited.at >= 1.0


async def test_a_5xx_is_retried_and_a_4xx_is_not(discord: Discord) -> None:
    fake, client = discord
    fake.fail_next(502, {"message": "bad gateway"})
    await client.edit_original(APP, TOKEN, {"content": "hi"})
    assert [c.status for c in fake.calls] == [502, 200]

    fake.fail_next(404, {"message": "Unknown Webhook", "code": 10015})
    with pytest.raises(DiscordError) as refused:
        await client.edit_original(APP, TOKEN, {"content": "again"})
    assert refused.value.status == 404
    assert [c.status for c in fake.calls] == [502, 200, 404]


async def test_5xx_retries_are_bounded(discord: Discord) -> None:
    fake, client = discord
    for _ in range(10):
        fake.fail_next(503)
    with pytest.raises(DiscordError) as failed:
        await client.edit_original(APP, TOKEN, {"content": "hi"})
    assert failed.value.status == 503 and len(fake.calls) == 4  # one try and three retries


async def test_register_commands_puts_them_with_the_bot_token(discord: Discord) -> None:
    fake, client = discord
    stored = await client.register_commands(APP, [{"name": "summarize"}], guild_id="42")
    assert stored[0]["name"] == "summarize" and stored[0]["id"]
    [call] = fake.calls
    assert (call.method, call.path) == ("PUT", f"/applications/{APP}/guilds/42/commands")
    assert call.headers["authorization"] == "Bot bot-token"


async def test_calls_wait_while_acks_are_in_flight_and_a_failure_is_not_logged_twice(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, gate = FakeDiscord(), AckGate()
    async with serve(fake.app) as url:
        client = DiscordClient(f"{url}/api/v10", backoff=0.01, gate=gate)
        try:
            gate.enter()  # an interaction being answered
            edit = asyncio.create_task(client.edit_original(APP, TOKEN, {"content": "hi"}))
            await asyncio.sleep(0.3)
            assert fake.calls == [] and not edit.done()  # held behind the ack
            gate.leave()
            await asyncio.wait_for(edit, 5)
            assert len(fake.calls) == 1
            fake.fail_next(404, {"message": "Unknown Webhook", "code": 10015})
            with caplog.at_level(logging.DEBUG, logger="bot.discord"), pytest.raises(DiscordError) as error:
                await client.edit_original(APP, TOKEN, {"content": "again"})
        finally:
            await client.close()
    assert "Unknown Webhook" in str(error.value) and "edit original response" in str(error.value)
    assert [r for r in caplog.records if r.name == "bot.discord"] == []  # the caller that gives up logs it
