"""ASGI middleware: the client's address behind a proxy, from the `X-Forwarded-For` entry the proxy appended.

A client writes what it likes into `X-Forwarded-For`; each proxy appends the address it was connected
from. So the client is the rightmost entry that is not one of our proxies: with `FORWARDED_ALLOW_IPS=*`
(Render: its proxy's addresses are not published) the rightmost entry, the one Render's proxy appended.
uvicorn's `--proxy-headers` takes the leftmost entry under `*`, the one the client chose, which let a
client dodge the per-client limits (issue 17); the deployments run uvicorn with `--no-proxy-headers`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send


class ClientAddressMiddleware:
    """Set `scope["client"]` from `X-Forwarded-For` when the connection comes from a trusted proxy."""

    def __init__(self, app: ASGIApp, trusted: Sequence[str]) -> None:
        self.app = app
        self.any = "*" in trusted
        self.networks = []
        for entry in trusted:
            try:
                self.networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                continue  # "*", or not an address

    def is_proxy(self, host: str) -> bool:
        """Whether `host` is one of the configured proxies (never, for `*`: no address is known)."""
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] in ("http", "websocket") and peer and (self.any or self.is_proxy(peer[0])):
            hops = [
                hop.strip()
                for name, value in scope["headers"]
                if name == b"x-forwarded-for"
                for hop in value.decode("latin-1").split(",")
            ]
            hops = [hop for hop in hops if hop]
            if hops:
                client = next((hop for hop in reversed(hops) if not self.is_proxy(hop)), hops[0])
                scope = dict(scope, client=(client, 0))
        await self.app(scope, receive, send)
