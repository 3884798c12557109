"""What a job says of its video over REST: title and channel, who served the transcript, and YouTube's own
translation when the reader's language has no track. The real app, the real youtube-transcript-api over
YouTube's recorded answers (the `yt` fixture), and a real local stand-in for Supadata and oEmbed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import responses

from api.main import create_app
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from tests.support.data import SHORT
from tests.support.fake_supadata import API_KEY, TITLES, FakeSupadata
from tests.support.rest import finished
from tests.support.servers import serve
from tests.support.youtube import VIDEO, asset, replace_player

TITLE, CHANNEL = "Surface Go Review - It\u2019s Awesome", "Dave2D"  # the recorded player's videoDetails


@asynccontextmanager
async def service(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(_env_file=None, **overrides), InlineRunner())
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        yield client


async def summarized(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    posted = await client.post("/v1/summaries", json=body)
    assert posted.status_code == 202, posted.text
    return await finished(client, posted.json()["id"])


async def test_a_youtube_video_shows_its_title_and_channel(yt: responses.RequestsMock) -> None:
    async with service() as client:
        job = await summarized(client, {"url": f"https://youtu.be/{VIDEO}"})
    assert (job["title"], job["channel"], job["provider"]) == (TITLE, CHANNEL, "youtube")
    assert (job["language_code"], job["translated_from"]) == ("en", None)


async def test_a_language_without_a_track_is_summarized_from_youtube_s_translation(
    yt: responses.RequestsMock,
) -> None:
    """The video has no French track; YouTube translates the English one (`tlang=fr`) and the job says so."""
    async with service() as client:
        job = await summarized(client, {"url": VIDEO, "languages": ["fr"]})
    translated = [call.request.url for call in yt.calls if "tlang=fr" in (call.request.url or "")]
    assert translated, "the captions were not asked for in French"
    assert (job["language_code"], job["translated_from"], job["provider"]) == ("fr", "en", "youtube")
    assert job["chunks"] and job["tldr"]


async def test_a_video_youtube_refuses_is_served_by_supadata_and_titled_by_oembed(
    yt: responses.RequestsMock,
) -> None:
    yt.add_passthru("http://127.0.0.1")
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    fake = FakeSupadata()
    async with serve(fake.app) as stand_in:
        options = {
            "transcript_providers": ["youtube", "supadata"],
            "supadata_api_key": API_KEY,
            "supadata_base_url": f"{stand_in}/v1",
            "youtube_oembed_url": f"{stand_in}/oembed",
        }
        async with service(**options) as client:
            job = await summarized(client, {"url": SHORT})
    assert (job["title"], job["channel"]) == TITLES[SHORT]
    assert job["provider"] == "supadata" and job["chunks"]
