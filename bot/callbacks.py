"""REST callbacks: POST the finished job to the client's `callback_url`, signed, retried, never inward.

A callback URL is checked twice: as written when the job is submitted (`check_url`), and by the addresses
its host resolves to right before each delivery attempt, so a public name cannot point at this network.
Redirects are not followed (a 3xx could lead to a private address).
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
from collections.abc import Collection
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


def is_public_address(address: str) -> bool:
    """False for private, loopback, link-local (cloud metadata), multicast, reserved and unspecified addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
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


async def check_resolved(url: str, allow_hosts: Collection[str]) -> None:
    """Refuse a URL whose host resolves to any non-public address (DNS names pointing inward)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if host in allow_hosts:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        if not is_public_address(str(sockaddr[0])):
            raise _refuse(url, f"{host} resolves to the non-public address {sockaddr[0]}")


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
    ) -> None:
        self.secret = secret
        self.allow_hosts = allow_hosts
        self.timeout = timeout
        self.give_up_after = give_up_after
        self.first_retry = first_retry
        self._client: httpx.AsyncClient | None = None

    async def show(self, job: Job, sink: CallbackSink) -> None:
        """How callback sinks are shown: `job` POSTed to `sink.url` once it ends, unless that was done."""
        delivery = job.delivery(sink.url)
        if delivery.state == "pending":
            await self.deliver(job, delivery)

    async def deliver(self, job: Job, delivery: Delivery) -> None:
        """Wait for `job` to finish, then POST it to `delivery.url` until a 2xx, a final refusal, or time's up.

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
            await check_resolved(delivery.url, self.allow_hosts)
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
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        OUTBOUND.labels("callback").inc()
        try:
            response = await self._client.post(delivery.url, content=body, headers=headers)
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
