"""CPU before the port opens and of the first webhook, with Telegram and Discord configured (issue 16).

    .venv/bin/python benchmarks/start_cpu.py [--runs 5]

Each run is a fresh interpreter: `import api.main`, the app's lifespan (what uvicorn does before it opens the
port), then, in-process (no socket, httpx's ASGI transport, whose own CPU is included), a Telegram webhook
linking a video, either at once or after the warm-up (api/warmup.py) had its quiet spell, and 200 more from
new chats while the queue is full (each answered "busy"). CPU from `time.process_time`, on a whole core: at
Render's 0.1 CPU the wall time is ten times these figures. Prints the medians and ranges.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import asyncio, json, os, sys, time
os.environ.update(
    TELEGRAM_BOT_TOKEN="123:abc-def", TELEGRAM_WEBHOOK_SECRET="secret-secret",
    TELEGRAM_API_BASE_URL="http://127.0.0.1:9", DISCORD_PUBLIC_KEY="ab" * 32, DISCORD_APPLICATION_ID="1",
    DISCORD_API_BASE_URL="http://127.0.0.1:9/api", TRANSCRIPT_DIR=sys.argv[2],
    QUEUE_MAX="1", RATE_LIMIT="", MAX_JOBS_PER_REQUESTER="1000",
)
import api.main
imported = time.process_time()

async def main():
    app = api.main.app
    async with app.router.lifespan_context(app):
        started = time.process_time()
        modules = {"telegram", "httpx"} & set(sys.modules)
        import httpx  # the load generator's, after the clock

        chat = {"id": 5, "type": "private"}
        message = {"message_id": 1, "date": 0, "chat": chat, "from": {"id": 5, "is_bot": False, "first_name": "a"},
                   "text": "https://youtu.be/LPZh9BOjkQs"}
        headers = {"X-Telegram-Bot-Api-Secret-Token": "secret-secret"}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
            await client.get("/healthz")
            await asyncio.sleep(float(sys.argv[1]))
            cpu = time.process_time()
            await client.post("/telegram/webhook", json={"update_id": 1, "message": message}, headers=headers)
            first = time.process_time() - cpu
            updates = []
            for n in range(2, 202):  # new chats, new videos: the queue (QUEUE_MAX=1) is full, "busy"
                chat = {"id": 1000 + n, "type": "private"}
                text = f"https://youtu.be/B{n:04d}wAPA"
                updates.append({"update_id": n, "message": {**message, "chat": chat, "text": text}})
            cpu = time.process_time()
            for update in updates:
                await client.post("/telegram/webhook", json=update, headers=headers)
            busy = (time.process_time() - cpu) / len(updates)
    sample = {"import": imported, "port": started, "first": first, "busy": busy, "before_port": sorted(modules)}
    print(json.dumps(sample))

if __name__ == "__main__":
    asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (e.g. an older one)")
    args = parser.parse_args()
    import json

    rows: dict[str, list[float]] = {}
    for warm in ("0", "5"):
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, "-c", PROBE, warm, str(args.root / "tests" / "data" / "transcripts")],
                cwd=args.root,
                env={"PYTHONPATH": str(args.root), "PATH": "/usr/bin:/bin"},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.splitlines()[-1]
            sample = json.loads(out)
            if warm == "0":
                rows.setdefault("import api.main", []).append(sample["import"] * 1000)
                rows.setdefault("+ lifespan (port opens)", []).append(sample["port"] * 1000)
                rows.setdefault("first webhook, at once", []).append(sample["first"] * 1000)
            else:
                rows.setdefault("first webhook, after the warm-up", []).append(sample["first"] * 1000)
                rows.setdefault("a refused webhook, 200 in a row", []).append(sample["busy"] * 1000)
            before_port = ", ".join(sample["before_port"]) or "neither"
    for name, values in rows.items():
        print(f"{name:34} {statistics.median(values):7.1f} ms CPU  ({min(values):.1f}-{max(values):.1f})")
    print(f"telegram/httpx imported before the port opens: {before_port}")


if __name__ == "__main__":
    main()
