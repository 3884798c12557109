"""The pages in a real browser: Debian's chromium driven by Playwright (tests/support/browser.py), against
the real service under uvicorn reading the recorded transcripts. Requests off the loopback never leave the
machine: a followed timestamp link is recorded, not sent.

Without chromium or playwright these tests fail, saying what is missing: `./dev test` (and so CI) installs
both.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Literal

import httpx
import pytest
import pytest_asyncio
import responses
from axe_playwright_python.async_playwright import Axe  # type: ignore[import-untyped]
from playwright.async_api import Browser, expect

from api.main import create_app
from core.config import Settings
from core.formats import clock
from summarizer.cpu_process import InlineRunner
from tests.support.browser import chromium, offline
from tests.support.data import MEDIUM, SHORT, TRANSCRIPTS
from tests.support.fake_telegram import FakeTelegram
from tests.support.rest import settings
from tests.support.runners import GatedRunner
from tests.support.servers import serve
from tests.support.telegram_service import telegram_settings
from tests.support.waiting import until
from tests.support.youtube import VIDEO

# One browser for the module, so one event loop for the module.
pytestmark = pytest.mark.asyncio(loop_scope="module")

API_KEY = "page-test-api-key"
STATUS_TOKEN = "page-test-status-token"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as started:
        yield started


async def test_a_link_fills_in_part_by_part_and_its_times_open_the_video_there(browser: Browser) -> None:
    runner = GatedRunner()  # each part waits for the test
    async with (
        serve(create_app(settings(), runner)) as url,
        httpx.AsyncClient(base_url=url) as api,
        offline(browser) as (context, outside),
    ):
        page = await context.new_page()
        await page.goto(f"{url}/")
        link = page.get_by_label("YouTube link or video id")
        await link.fill(f"https://www.youtube.com/watch?v={MEDIUM}&list=x")
        await link.press("Enter")  # the keyboard submits
        await page.wait_for_url(re.compile(r"/s/[A-Za-z0-9_-]+$"))
        job_id = page.url.rsplit("/", 1)[1]
        progress = page.locator("#progress-text")
        await expect(progress).to_have_text("0 of 6 parts summarized…")

        runner.release()
        await expect(page.locator(".chunk")).to_have_count(1)
        await expect(progress).to_have_text("1 of 6 parts summarized…")
        job = (await api.get(f"/s/{job_id}/job")).json()
        assert job["status"] == "running"  # the first part is shown before the job is done
        await expect(page.locator("#tldr")).to_be_hidden()
        await expect(page.locator("h1#title")).to_have_text(job["title"])
        language = job["language_code"]
        await expect(page.locator("#meta")).to_contain_text(f"captions: {language}, from the caption folder")
        first = page.locator(".chunk h3").first
        await expect(first).to_contain_text(job["chunks"][0]["title"] or "Part 1")
        await expect(first.locator("a.ts")).to_have_attribute("href", f"https://youtu.be/{MEDIUM}?t=0")

        point = job["chunks"][0]["points"][0]
        time_link = page.locator(".chunk").first.locator("li a.ts").first
        href = await time_link.get_attribute("href")
        assert href is not None and href == point["url"]
        assert href.endswith(f"?t={int(point['start'])}"), href
        await expect(time_link).to_have_text(clock(point["start"]))
        async with context.expect_page() as opened:
            await time_link.click()
        video = await opened.value
        await video.wait_for_load_state()
        assert video.url == point["url"]
        assert outside.requested == [point["url"]]  # answered by the test, not sent
        await video.close()

        runner.release(5)
        await expect(progress).to_have_text("Summary complete: 6 parts.")
        await expect(page.locator(".chunk")).to_have_count(6)
        done = (await api.get(f"/s/{job_id}/job")).json()
        tldr = page.locator("#tldr-points li")
        await expect(tldr).to_have_count(len(done["tldr_points"]))
        await expect(tldr.first).to_contain_text(done["tldr_points"][0]["text"])
        for topic in done["topics"]:
            await expect(page.locator("#topic-list")).to_contain_text(topic)
        await expect(page.locator("#share-link")).to_have_text(f"{url}/s/{job_id}")


async def test_a_youtube_video_shows_its_channel_and_youtube_s_translation(
    browser: Browser, yt: responses.RequestsMock
) -> None:
    """YouTube's recorded answers (no French track: YouTube translates the English one); the languages
    are asked for under Options, with the keyboard."""
    yt.add_passthru("http://127.0.0.1")
    app = create_app(Settings(_env_file=None), InlineRunner())
    async with serve(app) as url, offline(browser) as (context, _):
        page = await context.new_page()
        await page.goto(f"{url}/")
        await page.get_by_label("YouTube link or video id").fill(f"https://youtu.be/{VIDEO}")
        await page.get_by_text("Options").click()
        await page.get_by_label("Caption languages").fill("fr")
        await page.get_by_label("Caption languages").press("Enter")
        await expect(page.locator("#progress-text")).to_contain_text("Summary complete")
        await expect(page.locator("h1#title")).to_have_text("Surface Go Review - It\u2019s Awesome")
        await expect(page.locator("#meta")).to_have_text(
            "Watch on YouTube · Dave2D · captions: fr (YouTube's translation from en), from YouTube"
        )


async def test_a_bad_link_and_a_failed_summary_say_what_happened_and_what_to_do(browser: Browser) -> None:
    async with serve(create_app(settings(), InlineRunner())) as url, offline(browser) as (context, _):
        page = await context.new_page()
        await page.goto(f"{url}/")
        await page.get_by_label("YouTube link or video id").fill("https://example.com/watch?v=nothing")
        await page.get_by_role("button", name="Summarize").click()
        error = page.locator("#form-error")
        await expect(error).to_contain_text("That is not a YouTube video link")
        await expect(page.get_by_label("YouTube link or video id")).to_be_focused()
        assert page.url == f"{url}/"

        await page.get_by_label("YouTube link or video id").fill(
            "https://youtu.be/AAAAAAAAAAA"
        )  # no captions
        await page.get_by_role("button", name="Summarize").click()
        failure = page.locator("#failure")
        await expect(failure).to_be_visible()
        await expect(failure).to_contain_text("This video could not be summarized")
        await expect(failure).to_contain_text("no captions in a language we can use")
        await expect(page.locator("#failure-advice")).to_contain_text("the video's own language")
        await expect(page.locator("#progress")).to_be_hidden()

        response = await page.goto(f"{url}/s/NoSuchSummary1")
        assert response is not None and response.status == 404
        await expect(page.locator("h1#title")).to_have_text("Summary not found")


async def test_the_api_key_is_asked_for_and_a_summary_link_opens_without_it(browser: Browser) -> None:
    async with serve(create_app(settings(api_key=API_KEY), InlineRunner())) as url:
        async with offline(browser) as (context, _):
            page = await context.new_page()
            await page.goto(f"{url}/")
            await page.get_by_label("YouTube link or video id").fill(SHORT)
            await page.get_by_role("button", name="Summarize").click()
            await expect(page.locator("#form-error")).to_contain_text("This service needs an API key")
            key = page.get_by_label("API key")
            await expect(key).to_be_focused()
            await key.fill(API_KEY)
            await page.get_by_role("button", name="Summarize").click()
            await expect(page.locator("#progress-text")).to_have_text("Summary complete: 2 parts.")
            shared = page.url
            await page.goto(f"{url}/")  # the key stays in this browser
            await expect(page.get_by_label("API key")).to_have_value(API_KEY)
            assert API_KEY not in await (await context.request.get(f"{url}/")).text()
        async with offline(browser, width=360, height=740) as (phone, _):
            page = await phone.new_page()
            asked: list[str] = []
            page.on("request", lambda request: asked.append(request.url.removeprefix(url)))
            errors: list[str] = []
            page.on(
                "console", lambda message: errors.append(message.text) if message.type == "error" else None
            )
            await page.goto(shared)  # another browser, no key: the address is enough
            await expect(page.locator(".chunk")).to_have_count(2)
            await expect(page.locator("#tldr")).to_be_visible()
            # The finished job came inside the page: one request for it, beside the script and stylesheet.
            assert [path.split("?")[0] for path in asked] == [
                shared.removeprefix(url),
                "/static/app.css",
                "/static/app.js",
            ]
            assert errors == []  # nor did the content security policy refuse anything
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360  # nothing wider than a phone
            await page.keyboard.press("Tab")
            await expect(page.get_by_role("link", name="Skip to the content")).to_be_focused()


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_every_view_passes_axe_s_accessibility_checks(
    browser: Browser, scheme: Literal["light", "dark"]
) -> None:
    """axe-core (the engine of Lighthouse's accessibility audit) over the start page, a summary, a failure
    and the status page: labels, names, roles, landmarks and text contrast (WCAG AA) in both colour
    schemes."""
    axe = Axe()
    async with serve(create_app(settings(), InlineRunner())) as url, offline(browser) as (context, _):
        page = await context.new_page()
        await page.emulate_media(color_scheme=scheme)

        async def check(view: str) -> None:
            results = await axe.run(page)
            assert results.violations_count == 0, f"{view} ({scheme}):\n{results.generate_report()}"

        await page.goto(f"{url}/")
        await check("the start page")
        await page.get_by_label("YouTube link or video id").fill(SHORT)
        await page.get_by_role("button", name="Summarize").click()
        await expect(page.locator("#progress-text")).to_have_text("Summary complete: 2 parts.")
        await check("a summary")
        await page.goto(f"{url}/")
        await page.get_by_label("YouTube link or video id").fill("https://youtu.be/AAAAAAAAAAA")
        await page.get_by_role("button", name="Summarize").click()
        await expect(page.locator("#failure")).to_be_visible()
        await check("a failed summary")
        await page.goto(f"{url}/status")
        await expect(page.locator(".summary-line")).to_be_visible()
        await check("the status page")


async def test_the_status_page_shows_a_configured_telegram_bot_behind_its_token(browser: Browser) -> None:
    async with FakeTelegram().running() as fake:
        overrides = {"public_url": "https://summaries.example", "metrics_token": STATUS_TOKEN}
        app = create_app(telegram_settings(fake, **overrides), InlineRunner())
        async with serve(app) as url, offline(browser) as (context, _):
            await until(lambda: fake.webhook["url"])  # registered at start-up, in the background
            page = await context.new_page()
            await page.goto(f"{url}/status")
            token = page.get_by_label("Status token (METRICS_TOKEN)")
            await expect(token).to_be_visible()
            await token.fill(STATUS_TOKEN)
            await token.press("Enter")
            telegram = page.locator("tr", has=page.locator("th", has_text="Telegram"))
            # The counts are this process's since it started: other tests' updates too.
            await expect(telegram).to_contain_text(
                re.compile(r"On webhook registered; \d+ updates? received")
            )
            await expect(page.locator(".summary-line")).to_have_text("Everything looks fine.")
            await expect(page.locator("tr", has=page.locator("th", has_text="Discord"))).to_contain_text(
                "Off"
            )
            transcripts = page.locator("tr", has=page.locator("th", has_text="Transcripts"))
            await expect(transcripts).to_contain_text("Answering from the caption folder")
            await expect(transcripts.locator(".providers li")).to_have_text(
                re.compile(r"^folder asked; answers since the start: ")
            )

            fake.webhook = {**fake.webhook, "url": ""}  # someone deleted it
            await page.reload()  # the token is remembered; Telegram's answer is kept a minute
            await expect(telegram).to_contain_text("webhook registered")
            app.state.page_checks.telegram.ttl = 0
            await page.get_by_role("button", name="Refresh").click()
            await expect(page.locator(".summary-line")).to_contain_text("Something is broken")
            await expect(page.locator(".problems")).to_contain_text("Telegram has no webhook for this bot")


def srt_of(video_id: str) -> bytes:
    """An SRT file of a recorded transcript."""

    def stamp(seconds: float) -> str:
        millis = round(seconds * 1000)
        return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d},{millis % 1000:03d}"

    snippets = json.loads((TRANSCRIPTS / f"{video_id}.json").read_text(encoding="utf-8"))["snippets"]
    cues = [
        f"{n}\n{stamp(s['start'])} --> {stamp(s['start'] + s['duration'])}\n{s['text']}\n"
        for n, s in enumerate(snippets, 1)
    ]
    return "\n".join(cues).encode()


async def test_a_dropped_subtitle_file_is_summarized_with_its_times_unlinked(browser: Browser) -> None:
    async with serve(create_app(settings(), InlineRunner())) as url, offline(browser) as (context, outside):
        page = await context.new_page()
        await page.goto(f"{url}/")
        dropped = await page.evaluate_handle(
            """(text) => {
                const data = new DataTransfer();
                data.items.add(new File([text], "talk.en.srt", { type: "application/x-subrip" }));
                return data;
            }""",
            srt_of(SHORT).decode(),
        )
        await page.dispatch_event("#form", "drop", {"dataTransfer": dropped})
        chosen = await page.get_by_label("Or a subtitle file").evaluate("(input) => input.files[0].name")
        assert chosen == "talk.en.srt"
        await page.get_by_role("button", name="Summarize").click()
        await expect(page.locator("#progress-text")).to_have_text("Summary complete: 2 parts.")
        await expect(page.locator("#meta")).to_contain_text("From a subtitle file · captions: en")
        await expect(page.locator(".chunk li .ts").first).to_have_text(re.compile(r"^\d+:\d\d$"))
        assert await page.locator(".chunk a.ts").count() == 0  # no video to link into
        assert outside.requested == []
