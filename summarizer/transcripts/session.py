"""The `requests` session of every HTTP transcript provider: a timeout on every request
(youtube-transcript-api sets none), the provider's proxies winning over the environment's, each request
counted in the outbound metrics under the provider's name, and an optional look at each response (YouTube's
titles come that way).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.telemetry import OUTBOUND, OUTBOUND_ERRORS, OUTBOUND_RATE_LIMITED

if TYPE_CHECKING:
    import requests


# requests (and youtube_transcript_api) are imported lazily, inside functions: importing them costs 100 ms of
# CPU on top of `import api.main` (`benchmarks/imports.py youtube_transcript_api`), which the web process
# would pay at start-up on a 0.1-CPU box for nothing.
@functools.cache
def _session_class() -> type[requests.Session]:
    import requests

    class TimeoutSession(requests.Session):
        """A Session with `timeout`, `platform` (the metrics label) and `on_response` (a callback)."""

        timeout: float = 15.0
        platform: str = "youtube"
        on_response: Callable[[requests.Response], None] | None = None

        # requests' stubs spell out every keyword of `request`; these are all passed through unchanged.
        def request(self, method: str, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
            kwargs.setdefault("timeout", self.timeout)
            if kwargs.get("proxies") is None and self.proxies:
                # requests lets HTTP(S)_PROXY from the environment override session.proxies; ours win.
                kwargs["proxies"] = dict(self.proxies)
            OUTBOUND.labels(self.platform).inc()
            try:
                response = super().request(method, url, **kwargs)
            except requests.RequestException:
                OUTBOUND_ERRORS.labels(self.platform).inc()
                raise
            if not response.ok:
                OUTBOUND_ERRORS.labels(self.platform).inc()
                if response.status_code == 429:
                    OUTBOUND_RATE_LIMITED.labels(self.platform).inc()
            if self.on_response is not None:
                self.on_response(response)
            return response

    return TimeoutSession


def timeout_session(timeout: float, platform: str = "youtube") -> requests.Session:
    """A new session whose requests time out after `timeout` seconds unless told otherwise, counted as
    `platform` in the outbound metrics."""
    session = _session_class()()
    session.timeout = timeout  # type: ignore[attr-defined]
    session.platform = platform  # type: ignore[attr-defined]
    return session
