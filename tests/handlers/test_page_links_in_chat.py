"""A long summary in Telegram links to its page with PUBLIC_URL set (summarizer.links.page_url's wiring)."""

from __future__ import annotations

from tests.support.data import LONG
from tests.support.telegram_service import message, telegram_service


async def test_a_long_summary_in_telegram_links_to_its_page() -> None:
    async with telegram_service(public_url="https://summaries.example") as svc:
        msg = message(f"https://youtu.be/{LONG}")
        await svc.send(msg)
        [reply] = await svc.replies_to(msg)
        head = await svc.summary(reply)
        assert "https://summaries.example/s/" in head, head[:300]
        page = head.split('href="https://summaries.example/s/', 1)[1].split('"', 1)[0]
        assert (await svc.client.get(f"/s/{page}/job")).json()["video_id"] == LONG
