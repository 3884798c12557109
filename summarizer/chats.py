"""What the service remembers per chat: the caption language a chat chose (`/lang`), the video it was
last summarized (a plain question that follows is about it: docs/ask.md), the video a message of the bot
without a link to it is about (a subtitle file's summary or answer: a question replying to it is about it)
and which platform updates were handled already (webhook redeliveries). Kept in the cache, so with
`REDIS_URL` every process shares it; the keys (`value:<platform>-lang:<chat>`,
`seen:<platform>-update:<id>`, ...) are docs/redis.md's.

The narrow view handlers get of the cache: nothing else of it, and nothing of the engine's settings.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.cache import Cache

# How long a chat's /lang choice is kept.
LANGUAGE_TTL = 365 * 24 * 3600
# How long after a summary a plain question in a private chat is taken as one about that video.
FOLLOW_UP_TTL = 3600
# How long a question replying to a message without a link finds its video: as long as a summary is cached
# (`SUMMARY_TTL`'s default), past the file's transcript (`TRANSCRIPT_TTL`), so that it is told the file is
# gone rather than taken for a question about another video.
MESSAGE_VIDEO_TTL = 7 * 24 * 3600


class ChatState:
    """Per-chat memory; `platform` is a short prefix (`tg`), `chat` the platform's id for the chat."""

    def __init__(self, cache: Cache, default_languages: Sequence[str]) -> None:
        self._cache = cache
        self.default_languages = tuple(default_languages)  # what the service prefers without a choice

    async def language(self, platform: str, chat: int | str) -> str | None:
        """The caption language the chat chose, or None."""
        value = await self._cache.get_value(f"{platform}-lang:{chat}")
        return value if isinstance(value, str) else None

    async def set_language(self, platform: str, chat: int | str, code: str | None) -> None:
        """Choose `code` for the chat (None: back to the defaults)."""
        await self._cache.set_value(f"{platform}-lang:{chat}", code, ttl=LANGUAGE_TTL)

    async def last_video(self, platform: str, chat: int | str) -> str | None:
        """The video last summarized in the chat, within `FOLLOW_UP_TTL`, or None."""
        value = await self._cache.get_value(f"{platform}-video:{chat}")
        return value if isinstance(value, str) else None

    async def set_last_video(self, platform: str, chat: int | str, video_id: str) -> None:
        await self._cache.set_value(f"{platform}-video:{chat}", video_id, ttl=FOLLOW_UP_TTL)

    async def message_video(self, platform: str, chat: int | str, message_id: int) -> str | None:
        """The video message `message_id` of the bot is about, if remembered (`set_message_video`) within
        `MESSAGE_VIDEO_TTL`, or None."""
        value = await self._cache.get_value(f"{platform}-message:{chat}:{message_id}")
        return value if isinstance(value, str) else None

    async def set_message_video(self, platform: str, chat: int | str, message_id: int, video_id: str) -> None:
        """Remember that message `message_id` of the bot (a summary, an answer) is about `video_id`, for a
        message that does not link to it."""
        await self._cache.set_value(
            f"{platform}-message:{chat}:{message_id}", video_id, ttl=MESSAGE_VIDEO_TTL
        )

    async def first_time(self, platform: str, update_id: int | str, ttl: int) -> bool:
        """Record the update for `ttl` seconds; True only the first time (atomic across processes)."""
        return await self._cache.first_time(f"{platform}-update:{update_id}", ttl)
