"""The callback address check as a function, with a stub resolver: IPv6 forms that carry an internal IPv4
address are refused, and a delivery connects to the address that was checked (issue 17). Nothing here
connects anywhere: the sender's HTTP transport is httpx's MockTransport."""

from __future__ import annotations

import ipaddress

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import CallbackSender, Resolve, check_resolved, check_url
from summarizer.errors import SummaryError
from summarizer.jobs import Delivery, Job
from summarizer.models import Point

INTERNAL_V4 = st.ip_addresses(v=4).filter(lambda ip: not ip.is_global or ip.is_multicast)
PUBLIC_V4 = st.ip_addresses(v=4).filter(lambda ip: ip.is_global and not ip.is_multicast)


def carriers(v4: ipaddress.IPv4Address, server: ipaddress.IPv4Address) -> list[str]:
    """Every IPv6 form that carries `v4`: mapped, compatible, NAT64 (both prefixes), 6to4, Teredo."""
    n = int(v4)
    return [
        str(ipaddress.IPv6Address((0xFFFF << 32) | n)),
        str(ipaddress.IPv6Address(n)),
        str(ipaddress.IPv6Address((0x64FF9B << 96) | n)),
        str(ipaddress.IPv6Address((0x64FF9B0001 << 80) | n)),
        str(ipaddress.IPv6Address((0x2002 << 112) | (n << 80))),
        str(ipaddress.IPv6Address((0x20010000 << 96) | (int(server) << 64) | (n ^ 0xFFFFFFFF))),
    ]


def stub(*answers: list[str]) -> tuple[list[str], Resolve]:
    """A resolver giving `answers` in turn; the hosts it was asked for are listed."""
    asked: list[str] = []

    async def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[min(len(asked), len(answers)) - 1]

    return asked, resolver


@given(INTERNAL_V4, PUBLIC_V4)
async def test_ipv6_forms_carrying_an_internal_ipv4_address_are_refused(
    v4: ipaddress.IPv4Address, server: ipaddress.IPv4Address
) -> None:
    for address in carriers(v4, server):
        with pytest.raises(SummaryError):
            check_url(f"https://[{address}]/hook", allow_hosts=(), allow_http=False)
        _, resolver = stub([address])
        with pytest.raises(SummaryError, match="non-public"):
            await check_resolved("https://hook.example/hook", (), resolver)


@given(PUBLIC_V4, PUBLIC_V4)
async def test_a_teredo_or_6to4_address_of_a_public_host_passes(
    v4: ipaddress.IPv4Address, server: ipaddress.IPv4Address
) -> None:
    *_, sixtofour, teredo = carriers(v4, server)
    for address in (sixtofour, teredo):
        check_url(f"https://[{address}]/hook", allow_hosts=(), allow_http=False)


async def test_a_delivery_connects_to_the_address_that_was_checked() -> None:
    # The name answers a public address, then (rebinding) an internal one: the POST goes to the first.
    asked, resolver = stub(["93.184.215.14"], ["127.0.0.1"])
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200)

    sender = CallbackSender(None, (), resolver=resolver, transport=httpx.MockTransport(answer))
    job, delivery = Job("LPZh9BOjkQs", ("en",)), Delivery("https://hook.example:8443/hook?x=1")
    job.finish([Point("Done.", 0.0, "https://youtu.be/LPZh9BOjkQs?t=0")])
    try:
        await sender.deliver(job, delivery)
    finally:
        await sender.close()
    assert delivery.state == "delivered" and asked == ["hook.example"]
    [request] = requests
    assert (request.url.host, request.url.port, request.url.path, request.url.query) == (
        "93.184.215.14",
        8443,
        "/hook",
        b"x=1",
    )
    assert request.headers["Host"] == "hook.example:8443"
    assert request.extensions["sni_hostname"] == "hook.example"


async def test_a_name_with_no_address_is_retried_later() -> None:
    _, resolver = stub([])
    with pytest.raises(OSError):
        await check_resolved("https://hook.example/hook", (), resolver)
