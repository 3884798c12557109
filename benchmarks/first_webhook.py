"""A first webhook sent DELAY s after the first 200 on /healthz, render.yaml's command at 0.1 CPU (issue 16).

    .venv/bin/python benchmarks/first_webhook.py [--delay 1.5] [--root CHECKOUT]   # as root

Runs render.yaml's start command (this checkout's, in CHECKOUT: one whose start command is the same) under
`../shared/tools/render-sim --cpu 0.1 --mem 512M` with Telegram and Discord configured (their APIs
unreachable: the warm-up's calls fail, its imports happen), waits for the first 200 on /healthz, sleeps DELAY
(1.5 s: while api/warmup.py imports the clients; 15 s: after it), sends one Telegram webhook linking a video
and prints both times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RENDER_SIM = ROOT.parent / "shared" / "tools" / "render-sim"
sys.path.insert(0, str(ROOT))

from tests.support.deploy import start_command  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--delay", type=float, default=1.5)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (e.g. an older one)")
    args = parser.parse_args()
    service = start_command()
    port = service[service.index("--port") + 1]
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN="123:abc-def",
        TELEGRAM_WEBHOOK_SECRET="secret-secret",
        TELEGRAM_API_BASE_URL="http://127.0.0.1:9",
        PUBLIC_URL="https://bot.example.com",
        DISCORD_PUBLIC_KEY="ab" * 32,
        DISCORD_APPLICATION_ID="1",
        DISCORD_API_BASE_URL="http://127.0.0.1:9/api/v10",
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [str(RENDER_SIM), "--cpu", "0.1", "--mem", "512M", "--", *service],
        cwd=args.root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        up = time.monotonic() - started
        time.sleep(args.delay)
        chat = {"id": 5, "type": "private"}
        sender = {"id": 5, "is_bot": False, "first_name": "a"}
        message = {
            "message_id": 1,
            "date": 0,
            "chat": chat,
            "from": sender,
            "text": "https://youtu.be/LPZh9BOjkQs",
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/telegram/webhook",
            data=json.dumps({"update_id": 1, "message": message}).encode(),
            headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "secret-secret"},
        )
        sent = time.monotonic()
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        ack = (time.monotonic() - sent) * 1000
        print(f"first 200 {up:.2f} s; webhook at +{args.delay} s acked in {ack:.0f} ms ({response.status})")
    finally:
        process.terminate()
        try:
            process.wait(25)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
