"""REST callbacks: signed, retried, refused for internal addresses; a real receiver over HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.main import create_app
from bot.callbacks import CallbackSender, check_resolved, check_url
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from summarizer.errors import SummaryError
from summarizer.jobs import Delivery, Job
from summarizer.models import Point
from tests.support.callbacks import SECRET, Receiver, verify
from tests.support.data import TRANSCRIPTS
from tests.support.servers import serve


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # plain http without CALLBACK_ALLOW_HTTP
        "ftp://example.com/hook",
        "https:///nohost",
        "https://127.0.0.1/hook",
        "https://127.1.2.3:8443/hook",
        "https://localhost/hook",
        "https://api.localhost/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://10.0.0.8/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",
        "https://224.0.0.1/hook",
        "https://[ff02::1]/hook",
        "https://0.0.0.0/hook",
        "https://[fd00::1]/hook",
    ],
)
def test_internal_or_non_https_urls_are_refused(url: str) -> None:
    with pytest.raises(SummaryError) as refused:
        check_url(url, allow_hosts=(), allow_http=False)
    assert refused.value.code == "invalid_callback_url"


@pytest.mark.parametrize(
    "url", ["https://example.com/hook?x=1", "https://8.8.8.8/hook", "https://[2606:4700::1]/"]
)
def test_public_urls_pass(url: str) -> None:
    check_url(url, allow_hosts=(), allow_http=False)


def test_allow_list_and_http_setting() -> None:
    check_url("http://127.0.0.1:9000/hook", allow_hosts=("127.0.0.1",), allow_http=True)
    with pytest.raises(SummaryError):
        check_url("http://127.0.0.1:9000/hook", allow_hosts=("127.0.0.1",), allow_http=False)


async def test_names_resolving_inward_are_refused_at_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()

    async def fake_dns(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:  # only DNS is replaced
        address = {"inward.example": "10.0.0.5", "meta.example": "169.254.169.254"}.get(host, "93.184.215.14")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", fake_dns)
    for host in ("inward.example", "meta.example"):
        check_url(f"https://{host}/hook", allow_hosts=(), allow_http=False)  # a name passes at submit...
        with pytest.raises(SummaryError, match="non-public"):  # ...and is refused once resolved
            await check_resolved(f"https://{host}/hook", allow_hosts=())
    await check_resolved("https://public.example/hook", allow_hosts=())


@pytest.fixture
async def receiver_url() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver([200])
    async with serve(receiver.app()) as url:
        yield receiver, f"{url}/hook"


async def test_finished_job_is_posted_signed_and_the_delivery_is_shown(
    receiver_url: tuple[Receiver, str],
) -> None:
    receiver, hook = receiver_url
    settings = Settings(
        transcript_dir=str(TRANSCRIPTS),
        callback_secret=SECRET,
        callback_allow_hosts=["127.0.0.1"],
        callback_allow_http=True,
    )
    async with serve(create_app(settings, InlineRunner())) as url, httpx.AsyncClient(base_url=url) as client:
        job = (await client.post("/v1/summaries", json={"url": "LPZh9BOjkQs", "callback_url": hook})).json()
        assert job["callbacks"] == [{"url": hook, "state": "pending", "attempts": 0, "last_error": None}]
        for _ in range(500):
            current = (await client.get(f"/v1/summaries/{job['id']}")).json()
            if current["callbacks"][0]["state"] != "pending":
                break
            await asyncio.sleep(0.01)
        refused = await client.post(
            "/v1/summaries", json={"url": "LPZh9BOjkQs", "callback_url": "https://10.0.0.1/x"}
        )
    assert current["callbacks"][0]["state"] == "delivered" and current["callbacks"][0]["attempts"] == 1
    [(headers, body)] = receiver.calls
    assert verify(headers, body) and headers["content-type"] == "application/json"
    posted = json.loads(body)
    assert (posted["id"], posted["status"]) == (job["id"], "done") and posted["tldr"]
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_callback_url"


async def deliver(statuses: list[int], give_up_after: float = 5.0) -> tuple[Delivery, Receiver]:
    receiver = Receiver(statuses)
    async with serve(receiver.app()) as url:
        sender = CallbackSender(SECRET, ["127.0.0.1"], give_up_after=give_up_after, first_retry=0.05)
        job, delivery = Job("LPZh9BOjkQs", ("en",)), Delivery(f"{url}/hook")
        job.finish([Point("Done.", 0.0, "https://youtu.be/LPZh9BOjkQs?t=0")])
        await sender.deliver(job, delivery)
        await sender.close()
    return delivery, receiver


async def test_server_errors_are_retried_until_delivered() -> None:
    delivery, receiver = await deliver([500, 503, 200])
    assert (delivery.state, delivery.attempts, len(receiver.calls)) == ("delivered", 3, 3)
    assert all(verify(headers, body) for headers, body in receiver.calls)


async def test_gives_up_cleanly_on_refusals_redirects_and_after_the_time_limit() -> None:
    refused, _ = await deliver([404])
    assert (refused.state, refused.attempts, refused.last_error) == ("failed", 1, "HTTP 404")
    redirected, _ = await deliver([302])  # never followed: it could lead inward
    assert (redirected.state, redirected.attempts, redirected.last_error) == ("failed", 1, "HTTP 302")
    exhausted, receiver = await deliver([500], give_up_after=0.3)
    assert exhausted.state == "failed" and exhausted.attempts == len(receiver.calls) >= 2
