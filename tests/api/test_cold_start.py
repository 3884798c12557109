"""Cold start with Telegram and Discord configured: the lifespan imports nothing the first ack does not
need (issue 16). Checked in a fresh interpreter, since the test process has imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.deploy import ROOT
from tests.support.fake_telegram import TOKEN

# What a webhook's ack never needs: the platform clients' HTTP stacks (built after start-up, api/warmup.py);
# without REDIS_URL, redis-py and aiocache's Redis backend (summarizer/aiocache_lite.py); pydantic v1, which
# FastAPI imports only to refuse its models (api/__init__.py).
NOT_BEFORE_THE_PORT_OPENS = (
    "telegram",
    "httpx",
    "bot.telegram",
    "bot.telegram_webhook",
    "redis",
    "aiocache.backends.redis",
    "pydantic.v1",
)

SCRIPT = """
import asyncio, json, sys
import api.main

async def main():
    async with api.main.app.router.lifespan_context(api.main.app):
        print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))

asyncio.run(main())
"""


def test_the_platform_clients_are_not_imported_before_the_port_opens() -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")} | {
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": "secret-secret",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9",
        "PUBLIC_URL": "https://bot.example.com",
        "DISCORD_PUBLIC_KEY": "ab" * 32,
        "DISCORD_APPLICATION_ID": "1",
        "DISCORD_API_BASE_URL": "http://127.0.0.1:9/api/v10",
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    modules = set(json.loads(result.stdout.splitlines()[-1]))
    assert "nacl.signing" in modules  # the first Discord ack checks a signature: that one is loaded
    assert "aiocache" in modules  # the memory cache: the first ack looks a summary up
    assert not [name for name in NOT_BEFORE_THE_PORT_OPENS if name in modules]
