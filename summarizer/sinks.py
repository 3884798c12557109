"""Where a job is shown (a sink), and how each kind of sink is shown in this process (`Displays`).

A sink is plain data kept with its job (in Redis, with `REDIS_URL`), so the process that takes a job over
after a restart shows it in the same Telegram message, Discord response or REST callback. Its dict form
(`to_dict` / `sink_from_dict`) is a contract between processes, possibly of different versions:

    {"kind": "telegram", "chat_id": ..., "message_id": ..., "text": <the text shown when it was made>}
    {"kind": "discord", "application_id": ..., "token": ..., "expires_at": <Unix time>}
    {"kind": "callback", "url": ...}

How a kind is shown is registered by the app when it builds the engine (api/main.py): the Telegram and
Discord clients and the callback sender live above this package.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from summarizer.jobs import Job


@dataclass(frozen=True, slots=True)
class TelegramSink:
    """A Telegram message the bot sent and edits as the job changes."""

    kind: ClassVar[str] = "telegram"
    chat_id: int
    message_id: int
    text: str  # what the message says now (an edit to the same text is not sent)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "chat_id": self.chat_id, "message_id": self.message_id, "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TelegramSink:
        return cls(int(data["chat_id"]), int(data["message_id"]), str(data["text"]))


@dataclass(frozen=True, slots=True)
class DiscordSink:
    """A Discord interaction's original response, edited while its token lives."""

    kind: ClassVar[str] = "discord"
    application_id: str
    token: str
    expires_at: float  # Unix time (read by other processes, so not a monotonic clock)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "application_id": self.application_id,
            "token": self.token,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DiscordSink:
        return cls(str(data["application_id"]), str(data["token"]), float(data["expires_at"]))


@dataclass(frozen=True, slots=True)
class CallbackSink:
    """A REST client's `callback_url`: the finished job is POSTed there; how that went is kept with the job
    (`Job.callbacks`)."""

    kind: ClassVar[str] = "callback"
    url: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "url": self.url}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallbackSink:
        return cls(str(data["url"]))


Sink = TelegramSink | DiscordSink | CallbackSink
_KINDS: dict[str, type[Sink]] = {kind.kind: kind for kind in (TelegramSink, DiscordSink, CallbackSink)}


def sink_from_dict(data: Mapping[str, Any]) -> Sink:
    """The sink `data` describes (keys other than its fields, e.g. the owner Redis adds, are ignored).

    Raises `ValueError` for a kind this version does not know, `KeyError` for a missing field."""
    kind = _KINDS.get(data.get("kind", ""))
    if kind is None:
        raise ValueError(f"unknown sink kind {data.get('kind')!r}")
    return kind.from_dict(data)


S = TypeVar("S", TelegramSink, DiscordSink, CallbackSink)
Show = Coroutine[Any, Any, None]  # follows a job in one sink until the job ends


class Displays:
    """How this process shows each kind of sink: `show(job, sink)` follows the job there until it ends.

    Registered by the app at start-up, for the platforms it has clients for; a worker-only process
    (`python -m summarizer worker`) registers none and shows nothing.
    """

    def __init__(self) -> None:
        self._shows: dict[type[Sink], Callable[[Job, Any], Show]] = {}

    def add(self, kind: type[S], show: Callable[[Job, S], Show]) -> Displays:
        """Show sinks of `kind` with `show`; returns `self`, so registrations chain."""
        self._shows[kind] = show
        return self

    def can_show(self, sink: Sink) -> bool:
        """Whether this process shows sinks of this kind (its platform is set up here)."""
        return type(sink) in self._shows

    def show(self, job: Job, sink: Sink) -> Show:
        """Follow `job` in `sink` until it ends; `LookupError` for a kind not registered (see `can_show`)."""
        try:
            show = self._shows[type(sink)]
        except KeyError:
            raise LookupError(f"no display for {sink.kind} sinks in this process") from None
        return show(job, sink)
