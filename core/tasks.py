"""Small asyncio helpers: stopping a task for good, tasks started and not waited for (and how a shutdown ends
them), iterating until an event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# At a stop, work a user waits for (an `owed` task: a deferred Discord response, a Telegram message being
# answered) gets this long to end by itself (`BackgroundTasks.close`), and telling the user it was cut short
# as long again: with uvicorn's 20 s for open connections and the engine's 10 s for its last edits
# (summarizer/engine.py FINAL_EDIT_SECONDS), 36 s, inside the 40 s Render allows between SIGTERM and SIGKILL
# (render.yaml maxShutdownDelaySeconds). A warm /ask is a few ms of CPU, a cold one at most 0.21 s (~2 s of
# wall time at 0.1 CPU, docs/ask.md).
STOP_GRACE = 3.0


async def cancel(task: asyncio.Task[Any]) -> None:
    """Cancel `task` until it sticks, and wait for it to end.

    Python 3.11's `asyncio.wait_for` (inside aiocache, redis-py and arq) can swallow a cancellation that
    arrives as its inner call finishes; one `cancel()` then leaves the task running, and a shutdown hangs.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.1)


class BackgroundTasks:
    """Tasks started and not waited for (processing a chat update, showing a job): kept referenced,
    failures logged, cancelled at shutdown; those someone waits for (`owed`) get a grace to end first."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._owed: set[asyncio.Task[Any]] = set()

    def spawn(
        self, coroutine: Coroutine[Any, Any, Any], name: str | None = None, *, owed: bool = False
    ) -> asyncio.Task[Any]:
        """Run `coroutine` in a task. `owed`: someone waits for what it ends with (a deferred Discord
        response, the answer to a Telegram message), so `close` gives it time to end before cancelling it."""
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        if owed:
            self._owed.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._owed.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background task %s failed", task.get_name(), exc_info=error)

    def __len__(self) -> int:
        return len(self._tasks)

    async def close(self, grace: float = 0.0) -> None:
        """End the tasks: first those no one waits for, cancelled (a loop that would start owed work in this
        dying process, e.g. taking over the Telegram updates of a process that is gone); then the owed ones,
        also those started meanwhile, get `grace` seconds to end by themselves; what is still running then is
        cancelled, and waited for (an owed task that is cancelled may still tell whom it owes, e.g.
        `handlers.discord.settle`, within `STOP_GRACE`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        idle = self._tasks - self._owed
        for task in idle:
            task.cancel()
        if idle:
            await asyncio.wait(idle, timeout=grace)  # (cancelled: they end at their next await)
        while self._owed and (left := deadline - loop.time()) > 0:
            await asyncio.wait(set(self._owed), timeout=left)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def tell_cut_short(telling: Awaitable[object], what: str) -> None:
    """Await `telling`, which tells a user that a stop cut short `what` (work they waited for, cancelled after
    `STOP_GRACE`), for at most `STOP_GRACE` more; logged either way (`what` names the work). Raises nothing:
    a telling that fails (Telegram unreachable, its client not built) is logged here, once, so the caller,
    handling its cancellation, stays cancelled."""
    log.warning("the service stopped before %s was done: its user is told to send it again", what)
    try:
        async with asyncio.timeout(STOP_GRACE):
            await telling
    except TimeoutError:
        log.warning("could not tell in time that %s was cut short", what)
    except Exception:
        log.warning("could not tell that %s was cut short", what, exc_info=True)


async def until_set(items: AsyncIterator[T], event: asyncio.Event) -> AsyncIterator[T]:
    """The items of `items` until `event` is set: then the iteration ends at once, also while it waits for
    the next item (that wait is cancelled)."""
    stop = asyncio.ensure_future(event.wait())
    try:
        while not event.is_set():
            item = asyncio.ensure_future(anext(items))
            await asyncio.wait((item, stop), return_when=asyncio.FIRST_COMPLETED)
            if not item.done():
                await cancel(item)
                return
            try:
                value = item.result()
            except StopAsyncIteration:
                return
            yield value
    finally:
        stop.cancel()
