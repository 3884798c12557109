"""The transcript provider chain: YouTube (the real library over recorded answers), Supadata and oEmbed (a
real local stand-in server), in order, each behind its own circuit breaker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import responses

from core.config import Settings
from core.telemetry import TRANSCRIPT_FETCHES
from summarizer.cpu_process import InlineRunner
from summarizer.engine import Engine
from summarizer.errors import SummaryError
from summarizer.transcripts import supadata
from summarizer.transcripts.chain import ProviderChain
from summarizer.transcripts.supadata import SupadataSource
from tests.support.data import SHORT
from tests.support.fake_supadata import API_KEY, TITLES, FakeSupadata
from tests.support.servers import free_port, serve
from tests.support.youtube import VIDEO, asset, replace_player


@asynccontextmanager
async def stand_in() -> AsyncIterator[tuple[FakeSupadata, str]]:
    fake = FakeSupadata()
    async with serve(fake.app) as url:
        yield fake, url


def chain_settings(url: str, **overrides: Any) -> Settings:
    options: dict[str, Any] = {
        "transcript_providers": ["youtube", "supadata"],
        "supadata_api_key": API_KEY,
        "supadata_base_url": f"{url}/v1",
        "supadata_timeout": 10.0,
        "youtube_oembed_url": f"{url}/oembed",
    }
    return Settings(_env_file=None, **{**options, **overrides})


async def fetch(source: Any, video_id: str, *languages: str) -> Any:
    return await asyncio.to_thread(source.fetch, video_id, list(languages))


async def failure(source: Any, video_id: str) -> SummaryError:
    with pytest.raises(SummaryError) as info:
        await fetch(source, video_id, "en")
    return info.value


def count(provider: str, outcome: str) -> float:
    value: float = TRANSCRIPT_FETCHES.labels(provider, outcome)._value.get()
    return value


# --- Supadata ------------------------------------------------------------------------------------


async def test_supadata_answers_timed_captions_in_seconds() -> None:
    async with stand_in() as (fake, url):
        transcript = await fetch(SupadataSource(API_KEY, f"{url}/v1", 10.0), SHORT, "en", "de")
    assert (transcript.video_id, transcript.language_code, transcript.provider) == (SHORT, "en", "supadata")
    assert transcript.snippets[0].start == 0.0 and 0 < transcript.snippets[1].start < 10
    [call] = fake.calls
    assert call.api_key == API_KEY
    assert call.params == {"url": f"https://www.youtube.com/watch?v={SHORT}", "mode": "native", "lang": "en"}


async def test_a_long_video_is_a_job_to_wait_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supadata, "POLL_SECONDS", 0.01)
    async with stand_in() as (fake, url):
        fake.asynchronous(SHORT)
        transcript = await fetch(SupadataSource(API_KEY, f"{url}/v1", 10.0), SHORT, "en")
    assert transcript.snippets and [c.path for c in fake.calls] == [
        "/v1/transcript",
        f"/v1/transcript/{SHORT}",
        f"/v1/transcript/{SHORT}",
    ]


@pytest.mark.parametrize(
    ("status", "body", "code", "says"),
    [
        (
            206,
            {"error": "transcript-unavailable", "message": "Transcript Unavailable"},
            "no_transcript",
            "captions",
        ),
        (429, {"error": "limit-exceeded", "message": "Limit Exceeded"}, "provider_unavailable", "quota"),
        (
            402,
            {"error": "upgrade-required", "message": "Upgrade Required"},
            "provider_unavailable",
            "API key",
        ),
        (404, {"error": "not-found", "message": "Not Found"}, "video_unavailable", "unavailable"),
        (500, {"error": "internal-error", "message": "Internal Error"}, "provider_unavailable", "HTTP 500"),
        (200, {"content": "plain text, not timed"}, "provider_unavailable", "no timed captions"),
    ],
)
async def test_supadata_failures_get_stable_codes(status: int, body: Any, code: str, says: str) -> None:
    async with stand_in() as (fake, url):
        fake.answer(SHORT, status, body)
        error = await failure(SupadataSource(API_KEY, f"{url}/v1", 10.0), SHORT)
    assert error.code == code and says in error.message


async def test_a_wrong_key_or_no_service_is_unavailable_not_a_fact_about_the_video() -> None:
    async with stand_in() as (_, url):
        wrong = await failure(SupadataSource("not-the-key", f"{url}/v1", 10.0), SHORT)
    assert wrong.code == "provider_unavailable" and "SUPADATA_API_KEY" in wrong.message
    gone = await failure(SupadataSource(API_KEY, f"http://127.0.0.1:{free_port()}/v1", 2.0), SHORT)
    assert gone.code == "provider_unavailable" and "could not reach" in gone.message


# --- the chain ---------------------------------------------------------------------------------


async def test_a_blocked_youtube_passes_the_video_to_supadata_with_an_oembed_title(
    yt: responses.RequestsMock,
) -> None:
    yt.add_passthru("http://127.0.0.1")
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    async with stand_in() as (fake, url):
        fake.captions_of[VIDEO] = SHORT
        chain = ProviderChain.from_settings(chain_settings(url))
        before = count("youtube", "blocked"), count("supadata", "ok")
        transcript = await fetch(chain, VIDEO, "en")
    assert transcript.provider == "supadata"
    assert (count("youtube", "blocked"), count("supadata", "ok")) == (before[0] + 1, before[1] + 1)
    assert transcript.title is None  # the stand-in's oEmbed knows no title for this video: the id is shown
    assert [c.path for c in fake.calls] == ["/v1/transcript", "/oembed"]


async def test_a_title_comes_from_oembed_when_the_provider_gave_none() -> None:
    async with stand_in() as (_, url):
        chain = ProviderChain.from_settings(chain_settings(url, transcript_providers=["supadata"]))
        transcript = await fetch(chain, SHORT, "en")
    assert (transcript.title, transcript.channel) == TITLES[SHORT]


async def test_no_captions_on_youtube_is_final(yt: responses.RequestsMock) -> None:
    yt.add_passthru("http://127.0.0.1")
    replace_player(yt, asset("youtube_transcripts_disabled.innertube.json"))
    async with stand_in() as (fake, url):
        error = await failure(ProviderChain.from_settings(chain_settings(url)), VIDEO)
    assert error.code == "transcripts_disabled"
    assert fake.calls == []  # Supadata was not asked


async def test_when_every_provider_fails_the_block_is_what_is_said(yt: responses.RequestsMock) -> None:
    yt.add_passthru("http://127.0.0.1")
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    async with stand_in() as (fake, url):
        fake.answer(VIDEO, 429, {"error": "limit-exceeded"})
        error = await failure(ProviderChain.from_settings(chain_settings(url)), VIDEO)
    assert error.code == "blocked"


async def test_each_provider_has_its_own_circuit(yt: responses.RequestsMock) -> None:
    """Supadata out of quota twice: it is skipped for a while, YouTube is still asked."""
    yt.add_passthru("http://127.0.0.1")
    async with stand_in() as (fake, url):
        settings = chain_settings(
            url,
            transcript_providers=["supadata", "youtube"],
            youtube_breaker_failures=2,
            youtube_breaker_cooldown=60,
        )
        chain = ProviderChain.from_settings(settings)
        fake.answer(VIDEO, 429, {"error": "limit-exceeded"})
        for _ in range(2):
            assert (await fetch(chain, VIDEO, "en")).provider == "youtube"
        asked = len(fake.calls)
        skipped = count("supadata", "skipped")
        assert (await fetch(chain, VIDEO, "en")).provider == "youtube"
    assert len(fake.calls) == asked and count("supadata", "skipped") == skipped + 1
    assert chain.breakers["supadata"].open and not chain.breakers["youtube"].open


# --- through the engine ------------------------------------------------------------------------


async def test_the_job_says_which_provider_served_it_and_shows_the_title(yt: responses.RequestsMock) -> None:
    yt.add_passthru("http://127.0.0.1")
    replace_player(yt, asset("youtube_request_blocked.innertube.json"))
    async with stand_in() as (_, url):
        engine = Engine.from_settings(chain_settings(url), InlineRunner(), durable=False)
        await engine.start()
        try:
            job, _ = await engine.submit(SHORT)
            async for _ in job.changes():
                pass
        finally:
            await engine.stop()
    resource = job.to_dict()
    assert resource["status"] == "done" and resource["provider"] == "supadata"
    assert (resource["title"], resource["channel"]) == TITLES[SHORT]
    assert resource["translated_from"] is None
