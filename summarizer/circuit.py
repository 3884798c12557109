"""A circuit breaker for a transcript provider: after repeated refusals, stop asking it for a while."""

from __future__ import annotations

import time
from collections.abc import Callable

from summarizer.errors import SummaryError

# Failures that say "the provider refuses this server" (blocked, out of quota, refusing the key) rather than
# "this video has a problem".
TRIPPING_CODES = frozenset({"blocked", "provider_unavailable"})


class CircuitBreaker:
    """Closed: calls go through. After `threshold` refusals in a row it opens for `cooldown` seconds, during
    which `check()` fails fast with the last refusal's code; then one probe call is let through: success
    closes it, another refusal opens it again. `name` is the provider as users read it ("YouTube").
    """

    def __init__(
        self,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
        name: str = "YouTube",
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.name = name
        self._clock = clock
        self._code = "blocked"
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def open(self) -> bool:
        """True while calls are refused (cool-down running, or a probe already under way)."""
        if self._opened_at is None:
            return False
        return self._probing or self._clock() - self._opened_at < self.cooldown

    def check(self) -> None:
        """Raise the last refusal's code while open; after the cool-down, let exactly one probe through."""
        if self.open:
            retry = max(1, round(self.cooldown - (self._clock() - (self._opened_at or 0.0))))
            raise SummaryError(
                self._code,
                f"{self.name} has been refusing this server's requests, so it is not asked again for a "
                f"while. Please try again in ~{max(1, retry // 60)} min. {SummaryError(self._code).message}",
                retry_after=retry,
            )
        if self._opened_at is not None:
            self._probing = True

    def record(self, error: SummaryError | None) -> None:
        """Report how a call that passed `check()` ended (`None` = it succeeded)."""
        self._probing = False
        if error is None or error.code not in TRIPPING_CODES:
            if error is None:
                self._failures, self._opened_at = 0, None
            return
        self._failures += 1
        self._code = error.code
        if self._failures >= self.threshold or self._opened_at is not None:
            self._opened_at = self._clock()
