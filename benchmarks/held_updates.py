"""What holding a Telegram update in Redis until it is handled costs (issue 17): CPU per call, and memory.

    .venv/bin/python benchmarks/held_updates.py [--calls 2000]

On a throwaway redis-server on a free loopback port: `RedisJobStore.hold_update` (in the webhook's request,
before the ack) and `drop_update` (after the response), `--calls` times each with a one-link update,
`time.process_time()` per call; then `MEMORY USAGE` of `updates:held` holding one. Unlimited (no cgroup:
at Render's 0.1 CPU each µs is ~10 µs of wall time).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from summarizer.backends.redis_keys import UPDATES  # noqa: E402
from summarizer.backends.redis_store import RedisJobStore  # noqa: E402
from tests.support.servers import RedisServer, redis_binary  # noqa: E402
from tests.support.telegram_service import message, update  # noqa: E402


async def measure(server: RedisServer, calls: int) -> None:
    store = RedisJobStore(server.url, 86400, 15.0)
    body = update(message("https://youtu.be/eMlx5fFNoYc"))
    await store.hold_update("tg:0", body)  # connected before the clock starts
    cpu = time.process_time()
    for i in range(calls):
        await store.hold_update(f"tg:{i}", body)
    print(f"hold_update: {(time.process_time() - cpu) / calls * 1e6:.0f} µs CPU per call")
    cpu = time.process_time()
    for i in range(calls):
        await store.drop_update(f"tg:{i}")
    print(f"drop_update: {(time.process_time() - cpu) / calls * 1e6:.0f} µs CPU per call")
    await store.hold_update("tg:1", body)
    with redis.Redis(port=server.port) as client:
        print(f"MEMORY USAGE {UPDATES} with one update: {client.memory_usage(UPDATES)} B")
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    server = RedisServer(redis_binary(), Path(tempfile.mkdtemp()))
    server.start()
    try:
        asyncio.run(measure(server, args.calls))
    finally:
        server.kill()


if __name__ == "__main__":
    main()
