"""Background tasks at shutdown: a task someone waits for (`owed`) gets the grace to end, then what is still
running is cancelled."""

from __future__ import annotations

import asyncio

from core.tasks import BackgroundTasks


async def test_close_gives_an_owed_task_its_grace_and_cancels_the_rest() -> None:
    tasks = BackgroundTasks()
    answered, forever = asyncio.Event(), asyncio.Event()

    async def answer() -> str:
        await answered.wait()
        return "the answer"

    owed = tasks.spawn(answer(), "owed", owed=True)
    stuck = tasks.spawn(forever.wait(), "stuck, owed", owed=True)
    loop = tasks.spawn(forever.wait(), "a loop")
    closing = asyncio.create_task(tasks.close(grace=0.5))
    await asyncio.sleep(0)  # `close` waits for the owed tasks now
    assert not loop.done()  # nothing is cancelled during the grace
    answered.set()
    await closing
    assert owed.result() == "the answer"
    assert stuck.cancelled() and loop.cancelled() and len(tasks) == 0
