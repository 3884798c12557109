"""Per-client limits count the address the proxy appended to `X-Forwarded-For`, never the one a client
wrote there itself (issue 17)."""

from __future__ import annotations

from typing import Any

import httpx
import yaml
from hypothesis import given
from hypothesis import strategies as st

from api.client_address import ClientAddressMiddleware
from api.main import create_app
from tests.support.data import MEDIUM, SHORT
from tests.support.deploy import ROOT, uvicorn_params
from tests.support.rest import settings
from tests.support.runners import GatedRunner
from tests.support.servers import serve

ADDRESSES = st.ip_addresses().map(str)
SPOOFED = st.lists(ADDRESSES | st.text(alphabet="abc.:-[] 0123456789", max_size=20), max_size=5)


async def client_seen(middleware_trust: list[str], peer: str, forwarded: list[str]) -> str:
    """The client address the app behind `ClientAddressMiddleware` sees for this connection."""
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])

    headers = [(b"x-forwarded-for", ", ".join(forwarded).encode())] if forwarded else []
    scope = {"type": "http", "client": (peer, 1234), "headers": headers}
    await ClientAddressMiddleware(app, middleware_trust)(scope, None, None)  # type: ignore[arg-type]
    return seen[0]


@given(SPOOFED, ADDRESSES)
async def test_behind_any_proxy_the_entry_it_appended_counts(spoofed: list[str], real: str) -> None:
    assert await client_seen(["*"], "10.1.2.3", [*spoofed, real]) == real


@given(SPOOFED, ADDRESSES.filter(lambda a: not a.startswith("10.")))
async def test_behind_listed_proxies_the_rightmost_entry_not_a_proxy_counts(
    spoofed: list[str], real: str
) -> None:
    chain = [*spoofed, real, "10.0.0.7"]  # the client, then two proxies of 10.0.0.0/8
    assert await client_seen(["10.0.0.0/8"], "10.9.9.9", chain) == real
    # A connection not from a listed proxy is its own client, whatever it claims.
    assert await client_seen(["10.0.0.0/8"], "203.0.113.9", chain) == "203.0.113.9"


async def test_the_deployed_server_counts_the_client_render_s_proxy_saw() -> None:
    command = yaml.safe_load((ROOT / "render.yaml").read_text())["services"][0]["startCommand"]
    params = uvicorn_params(command)
    runner = GatedRunner()
    app = create_app(settings(max_jobs_per_requester=1), runner)
    async with (
        serve(
            app, proxy_headers=params["proxy_headers"], forwarded_allow_ips=params["forwarded_allow_ips"]
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        # Render's proxy appends the address it saw; whatever the client wrote before it is its own.
        first = await client.post(
            "/v1/summaries", json={"url": SHORT}, headers={"X-Forwarded-For": "198.51.100.7"}
        )
        dodge = await client.post(
            "/v1/summaries", json={"url": MEDIUM}, headers={"X-Forwarded-For": "192.0.2.1, 198.51.100.7"}
        )
        other = await client.post(
            "/v1/summaries", json={"url": MEDIUM}, headers={"X-Forwarded-For": "198.51.100.8"}
        )
        assert (first.status_code, dodge.status_code, other.status_code) == (202, 429, 202)
        runner.release(20)
