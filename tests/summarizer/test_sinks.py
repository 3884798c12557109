"""Sinks as other processes read them back: each kind round-trips through its dict; unknown kinds refused."""

from __future__ import annotations

import pytest

from summarizer.jobs import Job
from summarizer.sinks import CallbackSink, DiscordSink, Displays, Sink, TelegramSink, sink_from_dict

SINKS: list[Sink] = [
    TelegramSink(chat_id=-100123, message_id=7, text="Working on <b>it</b>…"),
    DiscordSink(application_id="1234", token="tok-" + "x" * 200, expires_at=1795951296.5),
    CallbackSink(url="https://hooks.example.com/done"),
]


@pytest.mark.parametrize("sink", SINKS, ids=lambda sink: sink.kind)
def test_each_kind_round_trips_and_ignores_what_redis_adds(sink: Sink) -> None:
    data = sink.to_dict()
    assert data["kind"] == sink.kind
    assert sink_from_dict({**data, "owner": "0123abcd"}) == sink


def test_the_dict_form_is_the_stored_contract() -> None:
    """What processes of the last release stored must still be read (docs/redis.md)."""
    stored = {"kind": "telegram", "chat_id": 42, "message_id": 1001, "text": "t", "owner": "ab"}
    assert sink_from_dict(stored) == TelegramSink(42, 1001, "t")
    stored = {"kind": "discord", "application_id": "1", "token": "t", "expires_at": 5, "owner": "ab"}
    assert sink_from_dict(stored) == DiscordSink("1", "t", 5.0)


def test_an_unknown_or_incomplete_sink_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sink kind 'email'"):
        sink_from_dict({"kind": "email", "to": "a@example.com"})
    with pytest.raises(KeyError):
        sink_from_dict({"kind": "callback"})


async def test_displays_show_only_the_kinds_registered() -> None:
    shown: list[tuple[str, Sink]] = []

    async def show(job: Job, sink: CallbackSink) -> None:
        shown.append((job.id, sink))

    displays = Displays().add(CallbackSink, show)
    job = Job("LPZh9BOjkQs", ("en",))
    assert not displays.can_show(SINKS[0])  # Telegram is not set up in this process
    with pytest.raises(LookupError, match="no display for telegram sinks"):
        await displays.show(job, SINKS[0])
    assert displays.can_show(SINKS[2])
    await displays.show(job, SINKS[2])
    assert shown == [(job.id, SINKS[2])]
