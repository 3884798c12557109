"""A Telegram update acked by a process that then dies (kill -9) is handled by the next one, with Redis:
the webhook keeps the update in Redis until it is handled (issue 17). Telegram never sends an acked update
again, and its redeliveries of an unacked one are dropped as already seen. Redis away for a while does
not end the taking over, nor does Redis dying at any point of a take-over, nor an unreadable entry."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import sys
import time
from typing import Any

import httpx
import pytest
from telegram import Message

from api.main import create_app
from summarizer.backends.redis_keys import LIVE, UPDATES, process_key
from summarizer.backends.redis_store import UPDATE_MAX_AGE, RedisJobStore
from summarizer.cache import pack
from tests.support.data import MEDIUM, ROOT
from tests.support.fake_telegram import TOKEN, Call, FakeTelegram
from tests.support.redis_mode import lives, redis_client
from tests.support.servers import DyingRedis, RedisServer, free_port, serve
from tests.support.telegram_service import (
    GROUP,
    SECRET,
    Service,
    message,
    telegram_service,
    telegram_settings,
    update,
)
from tests.support.waiting import eventually, until

pytestmark = [
    pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning"),  # aiocache 0.12
    pytest.mark.usefixtures("fast_pacing"),
]

OUTAGE = "job state in Redis unavailable"  # redis_store's warning (once per outage) that Redis is away


async def test_an_update_acked_before_kill_9_is_handled_by_the_next_process(redis_url: str) -> None:
    async with FakeTelegram().running() as fake:
        # A group message needs the bot's @username: the process acks it, then asks Telegram (getMe), which
        # does not answer before the process is killed. No job was admitted, no reply sent.
        msg = message(f"https://youtu.be/{MEDIUM}", chat=GROUP)
        await acked_then_killed(fake, redis_url, msg, stuck_in="getMe")
        assert not fake.called("sendMessage")
        [reply] = await answered_by_the_next_process(fake, redis_url, msg)
        assert reply.at > fake.called("getMe")[0].at


async def test_an_update_whose_job_was_admitted_and_reply_not_sent_is_answered_after_kill_9(
    redis_url: str,
) -> None:
    async with FakeTelegram().running() as fake:
        # The job is admitted in the webhook's request; the reply that shows it is sent after the ack, and
        # Telegram does not answer that call before the process is killed.
        msg = message(f"https://youtu.be/{MEDIUM}")
        await acked_then_killed(fake, redis_url, msg, stuck_in="sendMessage")
        async with redis_client(redis_url) as redis:
            assert await redis.scard(LIVE) == 1  # admitted, shown nowhere
        await answered_by_the_next_process(fake, redis_url, msg)


async def acked_then_killed(fake: FakeTelegram, redis_url: str, msg: Message, stuck_in: str) -> None:
    """`msg` acked by a service process (tests/support/crash_app.py, Telegram on `fake`, each chunk hangs),
    which is killed (SIGKILL) once it has called Telegram's `stuck_in`, which never answers it."""
    fake.delay[stuck_in] = 3.0  # (longer than the process lives)
    port = free_port()
    env = os.environ | {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fake.url,
    }
    args = ("-m", "tests.support.crash_app", redis_url, "0", str(port))
    crashing = await asyncio.create_subprocess_exec(sys.executable, *args, cwd=ROOT, env=env)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:

            async def acked() -> bool:
                try:
                    return bool((await Service(client, fake).post(update(msg))).json() == {})
                except httpx.TransportError:
                    return False  # not listening yet

            await eventually(acked, "the update is acked", tries=1000)
        await fake.wait_for(stuck_in)
    finally:
        crashing.kill()  # no lifespan exit: its heartbeat and leases are left to expire
        await crashing.wait()
    fake.delay.clear()


async def answered_by_the_next_process(fake: FakeTelegram, redis_url: str, msg: Message) -> list[Call]:
    """Start another service process on the same Redis: `msg` gets a reply that becomes its summary, and is
    no longer held. The replies to `msg` sent by then (the dead process's last)."""
    settings = telegram_settings(fake, redis_url=redis_url, job_lease_seconds=0.5)
    before = len(fake.called("sendMessage"))  # (each one a reply to `msg`, in these tests)
    async with serve(create_app(settings)) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        service = Service(client, fake)
        replies = await service.replies_to(msg, before + 1)
        assert "Key points" in await service.summary(replies[-1])
        await nothing_held(redis_url)
    assert len(service.sent_in_reply(msg)) == before + 1  # answered once by the next process
    return service.sent_in_reply(msg)


async def test_held_updates_are_still_taken_over_after_redis_was_away(
    own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # Redis is gone until the process has noticed (its warning), then back, empty (it restarted): an update
    # that a process now gone holds there afterwards is still handled. (Redis errors come back to the loop
    # as no updates, `RedisJobStore.claim_updates`; and a round that fails otherwise does not end the loop
    # either, `take_over`.)
    async with FakeTelegram().running() as fake:
        settings = telegram_settings(fake, redis_url=own_redis.url, job_lease_seconds=0.5)
        with caplog.at_level(logging.WARNING, logger="summarizer.backends.redis_store"):
            async with (
                serve(create_app(settings)) as url,
                httpx.AsyncClient(base_url=url, timeout=10) as client,
            ):
                own_redis.kill()
                await until(lambda: any(OUTAGE in r.getMessage() for r in caplog.records))
                own_redis.start()
                msg = message("/help")
                await held_by_a_process_gone(own_redis.url, msg)
                await Service(client, fake).replies_to(msg)
                await nothing_held(own_redis.url)


async def held_by_a_process_gone(redis_url: str, msg: Message) -> None:
    """`msg`'s update, held in Redis by a process that is gone (one that never beats, as after kill -9)."""
    body = update(msg)
    gone = RedisJobStore(redis_url, 60, 1.0)
    try:
        await gone.hold_update(f"tg:{body['update_id']}", body)
    finally:
        await gone.close()


async def test_a_held_update_is_taken_over_once_and_only_from_a_process_that_is_gone(redis_url: str) -> None:
    gone, alive, other = (RedisJobStore(redis_url, 60, 1.0) for _ in range(3))
    alive.start()  # its heartbeat (`proc:<token>`); `gone` never beats, as after kill -9
    other.start()
    try:
        body = {"update_id": 7, "message": {"text": "hi"}}
        await gone.hold_update("tg:7", body)
        await alive.hold_update("tg:8", {"update_id": 8})
        await gone.hold_update("dc:9", {"id": 9})  # another platform's: not Telegram's to take
        await eventually(lambda: alive_beats(redis_url, alive.owner), "the heartbeat is written")
        taken = await asyncio.gather(alive.claim_updates("tg:"), other.claim_updates("tg:"))
        assert sorted(taken, key=len) == [[], [body]]  # one process takes it, the other does not
        assert await alive.claim_updates("tg:") == [] and await other.claim_updates("tg:") == []
        await alive.drop_update("tg:7")
        await alive.drop_update("tg:8")
        async with redis_client(redis_url) as redis:
            assert await redis.hget(UPDATES, "tg:7") is None and await redis.hget(UPDATES, "dc:9")
    finally:
        for store in (gone, alive, other):
            await store.close()


async def test_wherever_redis_dies_in_a_take_over_each_held_update_is_taken_once_or_left(
    redis_server: RedisServer, redis_url: str
) -> None:
    # Redis dies at each point of a round of take-over in turn (after its first answer, its second, ...):
    # each update a process now gone held is then either taken by the process that took over (which
    # handles it) or left for the next to take, once: none held for a living process that never handles it.
    bodies = [{"update_id": n} for n in (1, 2, 3)]
    for answers in itertools.count(1):
        async with redis_client(redis_url) as redis:
            await redis.flushdb()
        gone = RedisJobStore(redis_url, 60, 0.1)  # never beats, as a process killed
        try:
            for body in bodies:
                await gone.hold_update(f"tg:{body['update_id']}", body)
        finally:
            await gone.close()
        async with DyingRedis(redis_server.port, answers) as dying:
            taking = RedisJobStore(dying.url, 60, 0.1)
            await lives(redis_url, taking)  # (its heartbeat would go through the Redis that dies)
            taken = await taking.claim_updates("tg:")
        await taking.close()  # (through the Redis that died: it still lives, with what it took)
        taken += await all_taken_by_the_next(redis_url, len(bodies) - len(taken), answers)
        assert sorted(taken, key=str) == bodies
        if not dying.died:  # the round ended before Redis would have died: every point was tried
            break


async def all_taken_by_the_next(redis_url: str, left: int, answers: int) -> list[dict[str, Any]]:
    """What a process that lives takes over once `left` updates are (a claim that a process began, if
    any, lets others take it once its lease is over), and no more."""
    nxt = RedisJobStore(redis_url, 60, 0.1)
    await lives(redis_url, nxt)
    taken: list[dict[str, Any]] = []

    async def all_taken() -> bool:
        taken.extend(await nxt.claim_updates("tg:"))
        return len(taken) >= left

    try:
        await eventually(all_taken, f"every held update taken, Redis dying after {answers} answers")
    finally:
        await nxt.close()
    return taken


async def test_an_unreadable_held_update_is_dropped_and_the_others_still_taken_over(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    gone, taking = RedisJobStore(redis_url, 60, 1.0), RedisJobStore(redis_url, 60, 1.0)
    try:
        async with redis_client(redis_url) as redis:
            await redis.hset(UPDATES, "tg:1", b"not a held update")
            await redis.hset(UPDATES, "tg:2", pack({"update": {"update_id": 2}}))  # no owner, no time
        await gone.hold_update("tg:3", {"update_id": 3})
        await lives(redis_url, taking)
        with caplog.at_level(logging.WARNING, logger="summarizer.backends.redis_store"):
            assert await taking.claim_updates("tg:") == [{"update_id": 3}]
            assert await taking.claim_updates("tg:") == []
        dropped = sorted(r.getMessage() for r in caplog.records if "unreadable" in r.getMessage())
        assert len(dropped) == 2 and "tg:1" in dropped[0] and "tg:2" in dropped[1]  # once each
        async with redis_client(redis_url) as redis:
            assert await redis.hget(UPDATES, "tg:1") is None and await redis.hget(UPDATES, "tg:2") is None
    finally:
        await gone.close()
        await taking.close()


async def test_a_held_update_without_an_update_id_is_skipped_and_the_others_taken_with_it_handled(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    gone = RedisJobStore(redis_url, 60, 1.0)  # never beats, as a process killed
    messages: list[Message] = []
    try:
        await gone.hold_update("tg:0", {"message": {"text": "/help"}})
        async with redis_client(redis_url) as redis:
            # A round takes the held updates in Redis's order (that of a hash table): until at least one of
            # those with an id comes after the one without.
            while not messages or (await redis.hkeys(UPDATES))[-1] == b"tg:0":
                messages.append(message("/help"))
                body = update(messages[-1])
                await gone.hold_update(f"tg:{body['update_id']}", body)
    finally:
        await gone.close()
    async with FakeTelegram().running() as fake:
        with caplog.at_level(logging.WARNING, logger="api.telegram"):
            async with telegram_service(fake=fake, redis_url=redis_url, job_lease_seconds=0.5) as svc:
                for msg in messages:  # all taken in one round with the one without an id
                    await svc.replies_to(msg)
                later = message("/help")  # held after that round's claim: a later round takes it
                await held_by_a_process_gone(redis_url, later)
                await svc.replies_to(later)
    skipped = [r for r in caplog.records if "no update_id" in r.getMessage()]
    assert len(skipped) == 1  # it stays held by the process that took it: not taken again


async def test_a_held_update_older_than_a_day_is_dropped_not_handled(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone, taking = RedisJobStore(redis_url, 60, 1.0), RedisJobStore(redis_url, 60, 1.0)
    try:
        await gone.hold_update("tg:1", {"update_id": 1})
        later = time.time() + UPDATE_MAX_AGE + 1
        monkeypatch.setattr(time, "time", lambda: later)
        assert await taking.claim_updates("tg:") == []
        async with redis_client(redis_url) as redis:
            assert not await redis.exists(UPDATES)
    finally:
        await gone.close()
        await taking.close()


async def nothing_held(redis_url: str) -> None:
    """Wait until Redis holds no update (the handled ones are dropped)."""
    async with redis_client(redis_url) as redis:

        async def forgotten() -> bool:
            return not await redis.exists(UPDATES)

        await eventually(forgotten, "the handled update is no longer held")


async def alive_beats(redis_url: str, owner: str) -> bool:
    async with redis_client(redis_url) as redis:
        return bool(await redis.exists(process_key(owner)))
