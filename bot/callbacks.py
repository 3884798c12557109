"""REST callbacks: POST the finished job to the client's `callback_url`, signed, retried, never inward.

A callback URL is checked twice: as written when the job is submitted (`check_url`), and by the addresses
its host resolves to right before each delivery attempt (`check_resolved`), so a public name cannot point
at this network; the attempt then connects to the address that was checked (TLS still verifies the name),
so a second answer of the name's DNS cannot point it elsewhere (DNS rebinding). An IPv6 address that
carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is judged by that one too. Redirects are not
followed (a 3xx could lead to a private address).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import random
import socket
import time
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import orjson

from core.telemetry import OUTBOUND, OUTBOUND_ERRORS, OUTBOUND_RATE_LIMITED
from summarizer.errors import SummaryError
from summarizer.jobs import Delivery, Job
from summarizer.sinks import CallbackSink
from summarizer.subtitles import job_resource

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

# Names that always mean "this machine or its cloud provider", whatever DNS says.
INTERNAL_NAMES = ("localhost", "metadata", "metadata.google.internal")


def _refuse(url: str, why: str) -> SummaryError:
    return SummaryError("invalid_callback_url", f"callback_url {url!r} is not allowed: {why}.")


# IPv6 prefixes whose last 32 bits are an IPv4 address: IPv4-compatible (deprecated), NAT64 (RFC 6052 and
# the local-use one of RFC 8215). Python's `is_global` is true for them whatever the IPv4 address is.
_EMBEDDING = tuple(ipaddress.ip_network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48"))

Resolve = Callable[[str, int], Awaitable[list[str]]]


def _embedded(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses `ip` carries (a packet to it may reach them)."""
    found = [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour) if v4 is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client)
    if any(ip in network for network in _EMBEDDING):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local (cloud metadata), multicast, reserved and unspecified
    addresses, and for IPv6 addresses carrying such an IPv4 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and (embedded := _embedded(ip)):
        return all(v4.is_global and not v4.is_multicast for v4 in embedded)
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_hosts: Collection[str], allow_http: bool) -> None:
    """Refuse (`invalid_callback_url`) a URL that is not http(s) or names an internal host literally."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise _refuse(url, f"the scheme must be {' or '.join(schemes)}")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise _refuse(url, "it has no host")
    if host in allow_hosts:
        return
    if host in INTERNAL_NAMES or host.endswith((".localhost", ".internal")):
        raise _refuse(url, "it names an internal host")
    try:
        public = is_public_address(host)
    except ValueError:
        return  # a name: checked again, resolved, at delivery
    if not public:
        raise _refuse(url, "it is a private, loopback, link-local, multicast or reserved address")


async def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in infos]


async def check_resolved(url: str, allow_hosts: Collection[str], resolver: Resolve = resolve) -> str | None:
    """Refuse a URL whose host resolves to any non-public address (DNS names pointing inward); return the
    checked address to connect to (None for an allowed host: connect by name)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if host in allow_hosts:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolver(host, port)
    if not addresses:
        raise OSError(f"{host} has no address")
    for address in addresses:
        if not is_public_address(address):
            raise _refuse(url, f"{host} resolves to the non-public address {address}")
    return addresses[0]


def signature(body: bytes, secret: str, timestamp: int) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256 of "<t>." + body>`: what a receiver recomputes with the shared secret."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class CallbackSender:
    """Delivers callbacks over one shared HTTP client (httpx is imported on the first callback)."""

    def __init__(
        self,
        secret: str | None,
        allow_hosts: Collection[str],
        timeout: float = 10.0,
        give_up_after: float = 600.0,
        first_retry: float = 1.0,
        resolver: Resolve = resolve,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.secret = secret
        self.allow_hosts = allow_hosts
        self.timeout = timeout
        self.give_up_after = give_up_after
        self.first_retry = first_retry
        self.resolver = resolver
        self.transport = transport  # None: the network
        self._client: httpx.AsyncClient | None = None

    async def show(self, job: Job, sink: CallbackSink) -> None:
        """How callback sinks are shown: `job` POSTed to `sink.url` once it ends, unless that was done."""
        delivery = job.delivery(sink.url)
        if delivery.state == "pending":
            await self.deliver(job, delivery)

    async def deliver(self, job: Job, delivery: Delivery) -> None:
        """Wait for `job` to finish, then POST it to `delivery.url` until a 2xx, a final refusal or time's up.

        5xx, 408, 429 and network errors are retried with exponential backoff and jitter; other answers
        end the delivery as failed. The outcome is kept on `delivery` (shown in the job resource).
        """
        async for _ in job.changes():
            pass
        body = orjson.dumps(job_resource(job))  # the job resource, as GET /v1/summaries/{id} shows it
        began, delay = time.monotonic(), self.first_retry
        while True:
            delivery.attempts += 1
            retry = await self._attempt(delivery, body)
            if delivery.state != "pending":
                return
            if not retry or time.monotonic() - began + delay > self.give_up_after:
                delivery.state = "failed"
                log.warning(
                    "callback for job %s failed after %d attempts: %s",
                    job.id,
                    delivery.attempts,
                    delivery.last_error,
                )
                return
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 60.0)

    async def _attempt(self, delivery: Delivery, body: bytes) -> bool:
        """One POST; sets `delivery.state` on success, returns whether a failure is worth retrying."""
        import httpx

        try:
            address = await check_resolved(delivery.url, self.allow_hosts, self.resolver)
        except SummaryError as refusal:
            delivery.last_error = refusal.message
            return False
        except OSError as error:  # DNS failure: may pass
            delivery.last_error = f"cannot resolve the host: {error}"
            return True
        headers = {"Content-Type": "application/json"}
        if self.secret:
            headers["X-Signature"] = signature(body, self.secret, int(time.time()))
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, transport=self.transport
            )
        url, extensions = httpx.URL(delivery.url), {}
        if address is not None:  # to the address checked, as the name (Host, and TLS's SNI and certificate)
            headers["Host"] = url.netloc.decode("ascii")
            extensions["sni_hostname"] = url.host
            url = url.copy_with(host=address)
        OUTBOUND.labels("callback").inc()
        try:
            response = await self._client.post(url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as error:
            OUTBOUND_ERRORS.labels("callback").inc()
            delivery.last_error = f"{type(error).__name__}: {error}"
            return True
        if response.is_success:
            delivery.state, delivery.last_error = "delivered", None
            return False
        OUTBOUND_ERRORS.labels("callback").inc()
        if response.status_code == 429:
            OUTBOUND_RATE_LIMITED.labels("callback").inc()
        delivery.last_error = f"HTTP {response.status_code}"
        return response.status_code >= 500 or response.status_code in (408, 429)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
