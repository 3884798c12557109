"""aiocache's memory cache and base classes, imported without redis-py.

`import aiocache` imports redis-py whenever it is installed (to register its Redis backend with aiocache's
factory, `Cache("redis")`, which this service never uses): ~45 ms of CPU before the port opens, ~0.45 s of
wall time at Render's 0.1 CPU, for a deployment without `REDIS_URL`. So aiocache is imported here with `import
redis` failing (a `None` in `sys.modules` makes it raise ImportError) unless redis-py is loaded already;
summarizer.cache's `redis_cache` imports the Redis backend itself, which imports redis-py then.
`.venv/bin/python -X importtime -c 'import api.main'`: aiocache 56 ms cumulative before (redis-py 52 of them),
9 ms after. The guard runs once, on the first import of aiocache, in the importing thread (before the port
opens).
"""

from __future__ import annotations

import sys

if "aiocache" not in sys.modules and "redis" not in sys.modules:
    sys.modules["redis"] = None  # type: ignore[assignment]  # `import redis` raises ImportError meanwhile
    try:
        import aiocache  # noqa: F401  # its package __init__ is where redis-py is imported
    finally:
        del sys.modules["redis"]

from aiocache import SimpleMemoryCache
from aiocache.base import BaseCache
from aiocache.serializers import BaseSerializer, NullSerializer

__all__ = ["BaseCache", "BaseSerializer", "NullSerializer", "SimpleMemoryCache"]
