"""Redis errors as the jobs backend's callers see them: `RedisUnavailable`, a `ConnectionError`.

redis-py's own errors (`redis.exceptions.RedisError`: its `ConnectionError` and `TimeoutError` included) are
not `OSError`s; the shared queue's and the lanes' calls (redis_queue.py, redis_lane.py) raise this one
instead, so a caller that treats `OSError` as "Redis is down" needs no redis import and misses none.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from redis.exceptions import RedisError

from core.logs import error_text

P = ParamSpec("P")
R = TypeVar("R")


class RedisUnavailable(ConnectionError):
    """Redis did not answer (or refused the command: out of memory, say)."""


def reachable(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """`method`, raising `RedisUnavailable` for any Redis error."""

    @functools.wraps(method)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except RedisError as error:
            raise RedisUnavailable(error_text(error)) from error

    return call
