"""Per-requester rate limits: in memory, shared through a real Redis, and open when Redis is gone."""

from __future__ import annotations

import pytest

from summarizer.errors import SummaryError
from summarizer.rate_limit import RateLimiter
from tests.support.servers import RedisServer


async def test_the_window_fills_per_requester_and_says_when_to_retry() -> None:
    limiter = RateLimiter("2/minute;100/hour")
    await limiter.hit("tg:1")
    await limiter.hit("tg:1")
    with pytest.raises(SummaryError) as refused:
        await limiter.hit("tg:1")
    retry_after = refused.value.retry_after
    assert refused.value.code == "rate_limited" and retry_after is not None and 1 <= retry_after <= 60
    assert "2 per 1 minute" in refused.value.message
    await limiter.hit("tg:2")  # another requester has its own window


async def test_a_refused_request_does_not_use_up_the_longer_window() -> None:
    limiter = RateLimiter("1/minute;2/hour")
    await limiter.hit("ip:a")
    for _ in range(3):
        with pytest.raises(SummaryError):
            await limiter.hit("ip:a")
    stats = await limiter._limiter.get_window_stats(limiter.limits[1], "ip:a")
    assert stats.remaining == 1


async def test_empty_rule_means_no_limit() -> None:
    limiter = RateLimiter("")
    for _ in range(100):
        await limiter.hit("ip:a")


async def test_windows_are_shared_through_redis_and_open_when_it_is_gone(own_redis: RedisServer) -> None:
    first, second = RateLimiter("2/minute", own_redis.url), RateLimiter("2/minute", own_redis.url)
    await first.hit("dc:7")
    await second.hit("dc:7")
    with pytest.raises(SummaryError):
        await first.hit("dc:7")  # the other process's hit counted
    own_redis.kill()
    await first.hit("dc:7")  # storage failed: allowed, not an error
