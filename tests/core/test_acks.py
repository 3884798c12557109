"""core/acks.py and core/pacing.py as units: outbound calls wait for acks in flight (for a bounded time),
the warm-up waits for a quiet spell, a webhook answer takes a chat's slot only when it is free."""

from __future__ import annotations

import asyncio
import builtins
import importlib
import threading
import time
from pathlib import Path

import pytest

from core.acks import AckGate, _Pace
from core.pacing import Pacer


async def test_calls_wait_for_the_acks_in_flight_but_not_forever() -> None:
    gate = AckGate()
    with pytest.raises(StopIteration):  # nothing in flight: returns without waiting for anything
        gate.quiet(max_hold=5).send(None)
    gate.enter()
    gate.enter()
    waiter = asyncio.create_task(gate.quiet(max_hold=5))
    await asyncio.sleep(0.05)
    gate.leave()
    await asyncio.sleep(0.05)
    assert not waiter.done()  # one ack still in flight
    gate.leave()
    await asyncio.wait_for(waiter, 1)
    gate.enter()  # an ack that never ends holds a call for max_hold only
    began = time.monotonic()
    await asyncio.wait_for(gate.quiet(max_hold=0.1), 10)  # (10 s: a bound on a hang, not on speed)
    assert time.monotonic() - began >= 0.09


async def test_warm_up_waits_for_the_first_request_and_a_quiet_spell() -> None:
    gate = AckGate()
    settled = asyncio.create_task(gate.settled(idle=0.1, first_request_within=10))
    await asyncio.sleep(0.2)
    assert not settled.done()  # no request yet
    gate.enter()
    gate.answered.set()
    await asyncio.sleep(0.2)
    assert not settled.done()  # an ack in flight
    gate.leave()
    began = time.monotonic()
    await asyncio.wait_for(settled, 1)
    assert time.monotonic() - began >= 0.09  # then `idle` seconds without acks
    await asyncio.wait_for(AckGate().settled(idle=0, first_request_within=0.05), 1)  # nobody came


def test_an_answer_takes_a_chats_slot_only_when_it_is_free() -> None:
    pacer = Pacer()
    assert pacer.take(42, 1.0)
    assert not pacer.take(42, 1.0)  # sent a moment ago: the next one is a paced call
    assert pacer.take(43, 1.0)  # another chat
    assert pacer.take(44, 0.0) and pacer.take(44, 0.0)


async def test_a_lull_is_a_quiet_spell_or_the_longest_wait() -> None:
    gate = AckGate()
    gate.answered.set()
    began = time.monotonic()
    # Nothing in flight: `idle` after the last activity, not `within` (the wait_for would time out first).
    await asyncio.wait_for(gate.lull(idle=0.1, within=600), 10)
    assert time.monotonic() - began >= 0.05
    gate.enter()  # an ack that never ends: the wait is bounded
    began = time.monotonic()
    await asyncio.wait_for(gate.lull(idle=0.1, within=0.3), 10)
    assert time.monotonic() - began >= 0.25


def test_imports_in_other_threads_wait_while_an_ack_is_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("probe_in_thread", "probe_in_loop_thread"):
        (tmp_path / f"{name}.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "probe_parent.py").write_text("import probe_in_thread\n")
    gate = AckGate()
    gate.enter()
    imported = threading.Event()
    importing = builtins.__import__

    def import_in_a_thread() -> None:
        importlib.import_module("probe_parent")
        imported.set()

    with gate.yielding_imports(max_hold=60):
        thread = threading.Thread(target=import_in_a_thread)
        thread.start()
        assert not imported.wait(0.5)  # the worker thread's import waits for the ack
        __import__("probe_in_loop_thread")  # this thread's (the event loop's) does not
        gate.leave()
        assert imported.wait(30)  # the ack answered: the import goes on
        thread.join()
    assert builtins.__import__ is importing


def test_paced_imports_keep_the_process_under_its_share_of_a_core() -> None:
    share, step = 0.25, 0.005
    pace = _Pace(share, step)
    wall, cpu = time.monotonic(), time.process_time()
    while time.process_time() - cpu < 0.06:  # 60 ms of CPU, with a pace check about every 0.1 ms
        sum(range(2000))
        pace()
    used, took = time.process_time() - cpu, time.monotonic() - wall
    # At most one step of credit and one of debt beyond the share (a loaded machine only adds wall time).
    assert took >= (used - 2 * step) / share
