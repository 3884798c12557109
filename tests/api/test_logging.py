"""The service's logs end to end: one line per event (text or JSON), and no secret in them, through the
service's own handler. The handler's formatting alone is tests/core/test_logs.py."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable

import httpx
import pytest

from api.main import create_app
from summarizer.cpu_process import InlineRunner
from tests.support.data import SHORT
from tests.support.discord_service import APP, discord_service, edits
from tests.support.rest import settings, wait_for
from tests.support.servers import serve

Capture = Callable[[str], io.StringIO]


async def test_json_logs_are_one_object_per_line(service_logs: Capture) -> None:
    buffer = service_logs("json")
    async with (
        serve(create_app(settings(), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        job = (await client.post("/v1/summaries", json={"url": "aaaaaaaaaaa"})).json()
        await wait_for(client, job["id"], lambda j: j["status"] == "failed")
        logging.getLogger("tests").info("with fields", extra={"job_id": job["id"]})
        try:
            raise ValueError("line one\nline two")
        except ValueError:
            logging.getLogger("tests").exception("it broke")
    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert all({"time", "level", "logger", "message"} <= line.keys() for line in lines)
    failed = [line for line in lines if line["logger"] == "summarizer.engine"]
    assert failed and "no_transcript" in failed[0]["message"]
    fields, broke = [line for line in lines if line["logger"] == "tests"]
    assert (fields["message"], fields["job_id"]) == ("with fields", job["id"])
    assert "ValueError: line one\nline two" in broke["exception"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secret_settings_and_url_passwords_are_never_printed(service_logs: Capture, fmt: str) -> None:
    secrets = {
        "api_key": "rest-key-0123456789",
        "metrics_token": "scrape-token-0123456789",
        "callback_secret": "hmac-secret-0123456789",
        "telegram_webhook_secret": "webhook-secret-0123456789",
        "webshare_proxy_username": "proxyuser",
        "webshare_proxy_password": "proxy-password-0123",
    }
    create_app(settings(**secrets), InlineRunner())  # registers its secrets
    buffer = service_logs(fmt)
    log = logging.getLogger("tests")
    for value in secrets.values():
        log.warning("configured with %s", value)
    log.warning("connecting to rediss://default:redis-pass-01@cache.example:6379/0")
    text = buffer.getvalue()
    for name, value in secrets.items():
        assert (value in text) == (name == "webshare_proxy_username")  # a user name is no secret
    assert "redis-pass-01" not in text and "rediss://<credentials>@cache.example" in text
    assert text.count("<redacted>") == len(secrets) - 1


async def test_discord_interaction_tokens_never_reach_the_logs(
    service_logs: Capture, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    buffer = service_logs("text")
    token = "aW50ZXJhY3Rpb246OTAwOnNlY3JldA.tok-abc_123"
    async with discord_service() as svc:
        assert (await svc.summarize(SHORT, token=token))["type"] == 5
        await svc.fake.wait_for(lambda fake: edits(fake, token))
    # httpx logged the PATCH of the deferred response, its URL redacted for every handler.
    assert f"/webhooks/{APP}/<token>/messages/@original" in buffer.getvalue()
    assert f"/webhooks/{APP}/<token>/messages/@original" in caplog.text
    assert token not in buffer.getvalue() and token not in caplog.text
