"""A real browser for the page tests: Debian's `chromium` driven by Playwright (no browser download).

Nothing leaves the machine: every request to a host other than the loopback is answered by the test
(`Offline.requested` keeps their URLs), so a followed YouTube link is seen, not sent.

    async with chromium() as browser, offline(browser) as (context, outside):
        page = await context.new_page()

`python -m tests.support.browser [FOLDER]` takes the screenshots of docs/page.md (page.png, status.png).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Route

CHROMIUM = "/usr/bin/chromium"
# Headless, and nothing of its own on the network (the machine's network is closed).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def chromium_binary() -> str:
    """Debian's chromium (`./dev test` installs it); without it the browser tests fail, saying so."""
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    if found := shutil.which("chromium"):
        return found
    pytest.fail(
        "The browser tests need Debian's chromium at /usr/bin/chromium: `apt-get install chromium` "
        "(./dev test installs it). Playwright downloads no browser here."
    )


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless chromium, closed afterwards."""
    from playwright.async_api import async_playwright  # requirements-dev.txt

    binary = chromium_binary()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=binary, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


class Offline:
    """The URLs of requests to hosts off the loopback, answered here with an empty page."""

    def __init__(self) -> None:
        self.requested: list[str] = []

    async def route(self, route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK:
            await route.continue_()
        else:
            self.requested.append(url)
            await route.fulfill(status=200, content_type="text/html", body="<p>outside</p>")


@asynccontextmanager
async def offline(
    browser: Browser, width: int = 1000, height: int = 900
) -> AsyncIterator[tuple[BrowserContext, Offline]]:
    """A fresh browser context (no storage) whose requests off the loopback never leave the machine."""
    context = await browser.new_context(viewport={"width": width, "height": height})
    outside = Offline()
    await context.route("**/*", outside.route)
    try:
        yield context, outside
    finally:
        await context.close()


async def screenshots(folder: Path) -> None:
    """`page.png` (a summary filling in: 3 of 6 parts) and `status.png` of the real service, offline."""
    import httpx

    from api.main import create_app
    from tests.support.data import MEDIUM
    from tests.support.rest import settings
    from tests.support.runners import GatedRunner
    from tests.support.servers import serve
    from tests.support.waiting import eventually

    runner = GatedRunner()
    async with (
        serve(create_app(settings(), runner)) as url,
        httpx.AsyncClient(base_url=url) as api,
        chromium() as browser,
        offline(browser, 900, 1150) as (context, _),
    ):
        page = await context.new_page()
        await page.goto(f"{url}/")
        await page.get_by_label("YouTube link or video id").fill(f"https://www.youtube.com/watch?v={MEDIUM}")
        await page.get_by_role("button", name="Summarize").click()
        await page.wait_for_url("**/s/*")
        runner.release(3)
        await page.locator("#progress-text").filter(has_text="3 of 6").wait_for()
        await page.screenshot(path=folder / "page.png")
        runner.release(3)
        await page.locator("#progress-text").filter(has_text="complete").wait_for()

        async def settled() -> bool:
            """The steps run on the event loop here (InlineRunner; the service runs them in its CPU process):
            the page would show a loop lag (and refusals) this setup caused until the lag sample settles."""
            return bool((await api.get("/v1/state")).json()["process"]["event_loop_lag_seconds"] < 0.05)

        async def failed(job_id: str) -> bool:
            return bool((await api.get(f"/v1/summaries/{job_id}")).json()["status"] == "failed")

        await eventually(settled, "the event loop's lag settled")
        failing = (await api.post("/v1/summaries", json={"url": "https://youtu.be/AAAAAAAAAAA"})).json()
        await eventually(lambda: failed(failing["id"]), "the summary failed")
        await eventually(settled, "the event loop's lag settled")
        await page.goto(f"{url}/status")
        await page.locator(".summary-line").wait_for()
        await page.screenshot(path=folder / "status.png", full_page=True)


if __name__ == "__main__":  # .venv/bin/python -m tests.support.browser [FOLDER]: the screenshots in docs/
    import asyncio
    import sys

    asyncio.run(screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")))
