"""`GET /metrics` end to end: the real app under uvicorn, work done through its real entry points, the
exposition parsed with prometheus-client's own parser and compared before and after."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from api.monitor import Monitor
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from tests.support.data import MEDIUM, SHORT
from tests.support.discord_service import discord_service, edits
from tests.support.fake_llm import FakeLLM
from tests.support.rest import gated_service, settings, wait_for
from tests.support.runners import GatedRunner
from tests.support.servers import free_port, serve
from tests.support.telegram_service import message, telegram_service
from tests.support.waiting import until

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]

FAMILIES = {
    "ytsum_queue_jobs",
    "ytsum_queue_capacity",
    "ytsum_jobs",
    "ytsum_jobs_refused",
    "ytsum_job_seconds",
    "ytsum_chunk_seconds",
    "ytsum_cache_lookups",
    "ytsum_ack_seconds",
    "ytsum_outbound_requests",
    "ytsum_outbound_errors",
    "ytsum_outbound_rate_limited",
    "ytsum_youtube_errors",
    "ytsum_llm_requests",
    "ytsum_llm_tokens",
    "ytsum_event_loop_lag_seconds",
    "ytsum_degraded",
    "ytsum_cgroup_cpu_periods",
    "ytsum_cgroup_cpu_throttled_periods",
    "ytsum_cgroup_cpu_throttled_seconds",
    "process_cpu_seconds",
    "process_resident_memory_bytes",
}


def parse(text: str) -> Samples:
    """Every sample of a Prometheus text exposition by (name, labels)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_every_family_is_exposed_as_prometheus_text() -> None:
    async with (
        serve(create_app(settings(), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        response = await client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert names >= FAMILIES
    samples = parse(response.text)
    assert value(samples, "ytsum_queue_capacity") == 20
    assert value(samples, "ytsum_degraded", reason="queue_full") == 0
    assert value(samples, "process_resident_memory_bytes") > 0


async def test_a_rest_job_moves_queue_jobs_chunks_cache_and_ack_metrics() -> None:
    async with gated_service() as (client, runner):
        before = await scrape(client)
        job = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        await wait_for(client, job["id"], lambda j: j["progress"]["total"] is not None)
        running = await scrape(client)
        assert value(running, "ytsum_queue_jobs", state="running") == 1
        runner.release(2)
        await wait_for(client, job["id"], lambda j: j["status"] == "done")
        assert (await client.post("/v1/summaries", json={"url": SHORT})).status_code == 200  # cached
        missing = (await client.post("/v1/summaries", json={"url": "aaaaaaaaaaa"})).json()
        await wait_for(client, missing["id"], lambda j: j["status"] == "failed")
        after = await scrape(client)

    assert moved(before, after, "ytsum_jobs_total", outcome="done") == 1
    assert moved(before, after, "ytsum_jobs_total", outcome="no_transcript") == 1
    assert moved(before, after, "ytsum_job_seconds_count", status="done") == 1
    assert moved(before, after, "ytsum_job_seconds_count", status="failed") == 1
    assert moved(before, after, "ytsum_chunk_seconds_count") == 2
    assert moved(before, after, "ytsum_cache_lookups_total", kind="summary", result="miss") == 2
    assert moved(before, after, "ytsum_cache_lookups_total", kind="summary", result="hit") == 1
    assert moved(before, after, "ytsum_cache_lookups_total", kind="transcript", result="miss") == 2
    assert moved(before, after, "ytsum_cache_lookups_total", kind="failure", result="miss") == 2
    assert moved(before, after, "ytsum_ack_seconds_count", platform="rest") == 3
    assert value(after, "ytsum_queue_jobs", state="running") == 0


async def test_a_full_queue_is_counted_and_reported_degraded() -> None:
    async with gated_service(queue_max=1) as (client, runner):
        before = await scrape(client)
        first = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        await wait_for(client, first["id"], lambda j: j["status"] == "running")
        assert (await client.post("/v1/summaries", json={"url": MEDIUM})).status_code == 202
        busy = await client.post("/v1/summaries", json={"url": "brJu7qMJdVc"})
        assert busy.status_code == 503
        after = await scrape(client)
        ready = (await client.get("/readyz")).json()
        runner.release(100)
    assert moved(before, after, "ytsum_jobs_refused_total", reason="busy") == 1
    assert value(after, "ytsum_queue_jobs", state="waiting") == 1
    assert value(after, "ytsum_degraded", reason="queue_full") == 1
    assert "queue_full" in ready["degraded"]


async def test_the_event_loop_lag_is_sampled() -> None:
    async with (
        serve(create_app(settings(), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        before = await scrape(client)
        for _ in range(500):  # the monitor samples once a second
            after = await scrape(client)
            if moved(before, after, "ytsum_event_loop_lag_seconds_count"):
                break
            await asyncio.sleep(0.01)
        ready = (await client.get("/readyz")).json()
    assert moved(before, after, "ytsum_event_loop_lag_seconds_count") >= 1
    assert ready["event_loop_lag_seconds"] >= 0 and ready["cpu_throttled_ratio"] >= 0


async def test_the_token_guards_metrics_when_set() -> None:
    async with (
        serve(create_app(settings(metrics_token="scrape-me-please"), InlineRunner())) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-not"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert right.status_code == 200 and "ytsum_jobs_total" in right.text


async def test_a_telegram_ack_and_its_calls_and_429s_are_counted() -> None:
    runner = GatedRunner()  # the job waits: no edit follows the reply
    async with telegram_service(runner) as svc:
        before = await scrape(svc.client)
        svc.fake.fail("sendMessage", "429", retry_after=1)
        await svc.send(message(f"https://youtu.be/{SHORT}"))  # "working on it": a call, to be edited
        await svc.fake.wait_for("sendMessage", 2)  # the 429, then the retry
        await svc.fake.wait_for("getMe")  # the warm-up's (api/warmup.py)
        await asyncio.sleep(0.2)
        after = await scrape(svc.client)
        calls = len(svc.fake.outbound())  # getMe (after start-up), sendMessage twice
        runner.release(10)
    assert moved(before, after, "ytsum_ack_seconds_count", platform="telegram") == 1
    assert moved(before, after, "ytsum_outbound_requests_total", platform="telegram") == calls == 3
    assert moved(before, after, "ytsum_outbound_rate_limited_total", platform="telegram") == 1
    assert moved(before, after, "ytsum_outbound_errors_total", platform="telegram") == 1


async def test_the_warm_up_after_start_up_is_no_ack() -> None:
    async with telegram_service() as svc:
        before = await scrape(svc.client)  # the first request: the warm-up follows a quiet spell
        await svc.fake.wait_for("getMe")  # the client built and the bot's @username learnt (api/warmup.py)
        await asyncio.sleep(0.2)
        after = await scrape(svc.client)
    for platform in ("telegram", "discord", "rest"):  # its in-process requests to each ack route
        assert moved(before, after, "ytsum_ack_seconds_count", platform=platform) == 0
    assert moved(before, after, "ytsum_outbound_requests_total", platform="telegram") == 1


async def test_a_discord_ack_and_its_edits_are_counted() -> None:
    async with discord_service() as svc:
        before = await scrape(svc.http)
        assert (await svc.summarize(SHORT))["type"] == 5
        await svc.fake.wait_for(edits)
        after = await scrape(svc.http)
    assert moved(before, after, "ytsum_ack_seconds_count", platform="discord") == 1
    assert moved(before, after, "ytsum_outbound_requests_total", platform="discord") >= 1


async def test_an_llm_job_counts_its_calls_retries_tokens_and_chunks() -> None:
    async with FakeLLM().running() as fake:
        for _ in range(3):  # two first calls rate-limited, then one retry: that chunk falls back
            fake.fail_next(429, retry_after="0")
        app = create_app(
            settings(llm_base_url=fake.url, llm_model="fake-model", llm_chunk_tokens=400, llm_max_retries=1),
            InlineRunner(),
        )
        async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
            before = await scrape(client)
            job = (await client.post("/v1/summaries", json={"url": SHORT, "summarizer": "llm"})).json()
            job = await wait_for(client, job["id"], lambda j: j["status"] == "done")
            after = await scrape(client)
            usage = app.state.services.engine.llm.client.usage
    calls = len(fake.requests)
    assert [c["source"] for c in job["chunks"]].count("extractive") == 1
    assert moved(before, after, "ytsum_outbound_requests_total", platform="llm") == calls == usage["requests"]
    assert moved(before, after, "ytsum_outbound_errors_total", platform="llm") == 3
    assert moved(before, after, "ytsum_outbound_rate_limited_total", platform="llm") == 3
    assert moved(before, after, "ytsum_llm_requests_total", outcome="ok") == calls - 3
    assert moved(before, after, "ytsum_llm_requests_total", outcome="retried") == 2
    assert moved(before, after, "ytsum_llm_requests_total", outcome="failed") == 1
    for kind in ("prompt", "completion"):
        assert moved(before, after, "ytsum_llm_tokens_total", kind=kind) == usage[f"{kind}_tokens"] > 0
    assert moved(before, after, "ytsum_chunk_seconds_count") == job["progress"]["total"] > 1


async def test_youtube_failures_are_counted_by_code() -> None:
    """No transcript folder: the real YouTube client, through a proxy port where nothing listens."""
    proxy = f"http://127.0.0.1:{free_port()}"
    service = create_app(
        Settings(youtube_proxy_http_url=proxy, youtube_proxy_https_url=proxy), InlineRunner()
    )
    async with serve(service) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        before = await scrape(client)
        job = (await client.post("/v1/summaries", json={"url": SHORT})).json()
        job = await wait_for(client, job["id"], lambda j: j["status"] == "failed")
        after = await scrape(client)
    assert job["error"]["code"] == "youtube_error"
    assert moved(before, after, "ytsum_youtube_errors_total", code="youtube_error") == 1
    assert moved(before, after, "ytsum_outbound_requests_total", platform="youtube") >= 1
    assert moved(before, after, "ytsum_outbound_errors_total", platform="youtube") >= 1


async def test_the_monitor_measures_the_share_of_throttled_periods(tmp_path: Path) -> None:
    stat = tmp_path / "cpu.stat"
    stat.write_text("usage_usec 100\nnr_periods 100\nnr_throttled 10\nthrottled_usec 5000\n")
    monitor = Monitor(tmp_path, interval=0.001)
    monitor.start()
    await asyncio.sleep(0)  # the first reading is taken
    stat.write_text("usage_usec 900\nnr_periods 200\nnr_throttled 70\nthrottled_usec 90000\n")
    try:
        assert await until(lambda: monitor.throttled == 0.6)
    finally:
        await monitor.stop()
