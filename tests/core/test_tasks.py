"""Background tasks at shutdown: the tasks no one waits for end first, then a task someone waits for (`owed`),
also one started meanwhile, gets the grace to end, then what is still running is cancelled; telling a user
their work was cut short never replaces the cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from core.tasks import BackgroundTasks, tell_cut_short


async def test_close_ends_the_loops_then_gives_the_owed_tasks_their_grace_then_cancels_the_rest() -> None:
    tasks = BackgroundTasks()
    answered, forever = asyncio.Event(), asyncio.Event()
    happened: list[str] = []

    async def answer() -> str:
        await answered.wait()
        happened.append("answered")
        return "the answer"

    async def loop() -> None:  # e.g. the Telegram take-over, which would start more owed work
        try:
            await forever.wait()
        finally:
            happened.append("loop ended")

    owed = tasks.spawn(answer(), "owed", owed=True)
    stuck = tasks.spawn(forever.wait(), "stuck, owed", owed=True)
    looping = tasks.spawn(loop(), "a loop")
    closing = asyncio.create_task(tasks.close(grace=0.5))
    await asyncio.sleep(0)  # `close` began
    answered.set()
    await closing
    assert happened == ["loop ended", "answered"]
    assert owed.result() == "the answer"
    assert stuck.cancelled() and looping.cancelled() and len(tasks) == 0


async def test_an_owed_task_started_during_the_grace_gets_it_too() -> None:
    tasks = BackgroundTasks()
    sent: list[str] = []

    async def answer() -> None:
        await send("the first part")
        tasks.spawn(send("the rest"), "the rest of the answer", owed=True)

    async def send(text: str) -> None:
        await asyncio.sleep(0.05)
        sent.append(text)

    tasks.spawn(answer(), "the answer", owed=True)
    await tasks.close(grace=5)
    assert sent == ["the first part", "the rest"] and len(tasks) == 0


async def test_a_failure_to_tell_that_work_was_cut_short_is_logged_once_and_the_work_stays_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def telling() -> None:
        raise RuntimeError("the chat client could not be built")

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await tell_cut_short(telling(), "the answer to message 7")
            raise

    tasks = BackgroundTasks()
    task = tasks.spawn(work(), "owed", owed=True)
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING, logger="core.tasks"):
        await tasks.close()
    assert task.cancelled()
    [failed] = [r for r in caplog.records if r.exc_info is not None]
    assert failed.getMessage() == "could not tell that the answer to message 7 was cut short"
    assert failed.levelno == logging.WARNING and "background task" not in caplog.text
