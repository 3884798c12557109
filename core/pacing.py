"""Pacing of messages to Telegram chats, shared by the Bot API client and the webhook's answers.

Telegram's published guidance: ~1 message/s per chat, 20/min per group, ~30/s overall. Calls of our own
wait for their slot (`Pacer.wait`); a webhook answer is sent by Telegram at once, so it is used only when
its chat's slot is free now (`Pacer.take`), else the message goes out as a paced call. The overall 30/s
applies to calls only: answers are a burst of distinct chats' acks, which Telegram paces itself (its
webhook sends at most `max_connections` updates at a time).
"""

from __future__ import annotations

import asyncio
import time

# Read at call time, so tests can shorten them.
CHAT_INTERVAL = 1.0
GROUP_INTERVAL = 3.0
# Overall ~30 messages/s.
GLOBAL_INTERVAL = 1 / 30


def chat_interval(chat_id: int) -> float:
    """Seconds between two messages to one chat (groups and channels have negative ids)."""
    return GROUP_INTERVAL if chat_id < 0 else CHAT_INTERVAL


class Pacer:
    """Spaces calls to the same key by a minimum interval (reservations: no locks, no queue)."""

    def __init__(self) -> None:
        self._next: dict[int | None, float] = {}

    def _reserve(self, key: int | None, interval: float, now: float) -> float:
        at = max(now, self._next.get(key, 0.0))
        self._next[key] = at + interval
        if len(self._next) > 1000:  # forget chats that are quiet again
            self._next = {k: t for k, t in self._next.items() if t > now}
        return at

    async def wait(self, key: int | None, interval: float) -> None:
        now = time.monotonic()
        if (at := self._reserve(key, interval, now)) > now:
            await asyncio.sleep(at - now)

    def take(self, key: int | None, interval: float) -> bool:
        """Reserve the slot if it is free now; False (and nothing reserved) when it is not."""
        now = time.monotonic()
        if self._next.get(key, 0.0) > now:
            return False
        self._reserve(key, interval, now)
        return True
