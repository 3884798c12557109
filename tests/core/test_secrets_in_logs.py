"""Secrets stay out of every log line, at DEBUG too, and out of a failed start's error (issue 17)."""

from __future__ import annotations

import logging

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from api.main import create_app
from core.config import Settings
from summarizer.backends.redis_store import RedisJobStore
from summarizer.cpu_process import InlineRunner
from summarizer.jobs import Job
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import RedisServer, serve
from tests.support.telegram_service import telegram_settings


async def test_the_derived_webhook_secret_is_not_in_telegram_s_debug_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "bm90IGEgdmFsaWQgdG9rZW4+/="  # Render's generateValue is base64: sent as its SHA-256 hex digest
    async with FakeTelegram().running() as fake:
        settings = telegram_settings(
            fake, public_url="https://bot.example.com", telegram_webhook_secret=secret
        )
        with caplog.at_level(logging.DEBUG):
            async with serve(create_app(settings, InlineRunner())):
                [call] = await fake.wait_for("setWebhook")
    derived = settings.telegram_secret_token
    assert derived and call.params["secret_token"] == derived
    assert "setWebhook" in caplog.text  # python-telegram-bot's DEBUG line is there, without the secret
    assert derived not in caplog.text and secret not in caplog.text


PASSWORDS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", max_size=40
).map(
    lambda text: f"pw-{text}"  # (a password that is not also a word of the error)
)


@given(PASSWORDS)
def test_a_failed_start_does_not_show_the_redis_password(password: str) -> None:
    with pytest.raises(ValidationError) as failed:
        Settings(redis_url=f"redis://default:{password}@red-abc:6379", transcript_providers=["supadata"])
    message = str(failed.value)
    assert "SUPADATA_API_KEY" in message
    assert "redis://" not in message and password not in message


async def test_a_redis_out_of_memory_warning_has_no_job_bytes(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    with redis.Redis(port=own_redis.port) as client:
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "1")  # below what it uses: every write is refused with OOM
    store = RedisJobStore(own_redis.url, ttl=60, lease=5)
    job = Job("LPZh9BOjkQs", ("en",), title="What a user wrote")
    try:
        with caplog.at_level(logging.WARNING):
            assert await store.save(job) is False
    finally:
        await store.close()
    [line] = [r.getMessage() for r in caplog.records if "unavailable" in r.getMessage()]
    assert "OutOfMemoryError: HSET in a pipeline" in line and "maxmemory" in line
    assert job.id not in line and "job:" not in line
