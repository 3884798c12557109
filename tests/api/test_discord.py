"""The Discord interactions endpoint: the real app under uvicorn, requests signed like Discord signs them
(real Ed25519 keys); unsigned, badly signed or stale requests never get further. What an interaction
means (the /summarize flow) is tests/handlers/test_discord.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from nacl.signing import SigningKey

from api.main import create_app
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from tests.support.data import TRANSCRIPTS
from tests.support.discord_service import APP, Service, discord_service, signed
from tests.support.servers import serve


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
