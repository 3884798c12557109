"""Cold start with Telegram and Discord configured: the lifespan imports nothing the first ack does not
need (issue 16), and the web process compiles none of the regexes only the CPU process runs. Checked in a
fresh interpreter, since the test process has imported everything already."""

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


# The modules whose text steps run only in the CPU process (the outline's and the extractive summary's, the
# index of /ask): the web process imports them, to hand their functions over and for their types, and
# compiles none of their patterns (core/lazy.py `lazy_regex`).
CPU_PROCESS_ONLY = (
    "summarizer.ads",
    "summarizer.chunking",
    "summarizer.extractive",
    "summarizer.keyphrases",
    "summarizer.outline",
    "summarizer.purpose",
    "summarizer.readable",
    "summarizer.retrieval",
    "summarizer.sentences",
)

COMPILES = """
import asyncio, json, re, sys
compiled_by = set()
compile_pattern = re.compile

def recorded(*args, **kwargs):
    caller = sys._getframe(1)
    while caller.f_globals["__name__"] == "core.lazy":  # a lazy regex: the module that used it
        caller = caller.f_back
    compiled_by.add(caller.f_globals["__name__"])
    return compile_pattern(*args, **kwargs)

re.compile = recorded
import api.main

async def main():
    async with api.main.app.router.lifespan_context(api.main.app):
        import summarizer.outline  # what the warm-up (api/warmup.py) and the first job import
    print(json.dumps(sorted(compiled_by)))

asyncio.run(main())
"""


def fresh_service(script: str) -> str:
    """The last line `script` prints, run in a fresh interpreter with both platforms configured."""
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
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_the_platform_clients_are_not_imported_before_the_port_opens() -> None:
    modules = set(json.loads(fresh_service(SCRIPT)))
    assert "nacl.signing" in modules  # the first Discord ack checks a signature: that one is loaded
    assert "aiocache" in modules  # the memory cache: the first ack looks a summary up
    assert not [name for name in NOT_BEFORE_THE_PORT_OPENS if name in modules]


def test_the_web_process_compiles_none_of_the_cpu_process_regexes() -> None:
    compiled_by = set(json.loads(fresh_service(COMPILES)))
    assert "summarizer.links" in compiled_by  # the first ack finds the link: those are compiled at once
    assert not compiled_by & set(CPU_PROCESS_ONLY)
