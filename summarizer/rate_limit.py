"""How often one requester (a REST client, a Telegram chat, a Discord user) may ask for summaries."""

from __future__ import annotations

import logging
import math
import time

from limits import parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from core.telemetry import JOBS_REFUSED
from summarizer.errors import SummaryError

log = logging.getLogger(__name__)


class RateLimiter:
    """`limits` moving windows per requester (e.g. `"10/minute;60/hour"`), in memory or in Redis.

    With Redis the windows hold across every process; if Redis fails, requests are let through
    (a lost limit is better than a lost request) and the failure is logged.
    """

    def __init__(self, rule: str, redis_url: str | None = None) -> None:
        self.limits = parse_many(rule) if rule else []
        storage: Storage = (
            RedisStorage(f"async+{redis_url}", implementation="redispy", socket_timeout=1)
            if redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, requester: str) -> None:
        """Count one request; raise `rate_limited` (with `retry_after`) when a window is full."""
        try:
            for limit in self.limits:
                if not await self._limiter.test(limit, requester):
                    stats = await self._limiter.get_window_stats(limit, requester)
                    retry = max(1, math.ceil(stats.reset_time - time.time()))
                    JOBS_REFUSED.labels("rate_limited").inc()
                    raise SummaryError(
                        "rate_limited",
                        f"You asked for many summaries in a short time (limit {limit}); "
                        f"please try again in {retry} s.",
                        retry_after=retry,
                    )
            for limit in self.limits:
                await self._limiter.hit(limit, requester)
        except SummaryError:
            raise
        except Exception as error:  # the storage (Redis) failed: let the request through
            log.warning("rate limit storage failed, request allowed: %s", error)
