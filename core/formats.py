"""How times, language codes, sizes and shortened text are written, in every message, prompt and check."""

from __future__ import annotations

import re

# BCP 47-ish codes as YouTube names caption tracks: `en`, `pt-BR`, `zh-Hans`, `es-419`, `sr-Latn-RS`.
# At most five subtags (a subtitle file's private-use ones included: `pt-BR-x-k3l5gq2a-ub7d4c1z`) and 35
# characters (RFC 5646's advice for a buffer): unbounded, ten 408 KB codes a request kept ~8 MiB each (job
# + negative-cache key) and 55 such requests OOM-killed the service.
LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,5}")
MAX_LANGUAGE_CODE_CHARS = 35


def is_language_code(value: object) -> bool:
    """Whether `value` is a string written like a caption language code."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_LANGUAGE_CODE_CHARS
        and LANGUAGE_CODE.fullmatch(value) is not None
    )


def clock(seconds: float) -> str:
    """A moment of a video as people write it: `754` → `12:34`, `3725` → `1:02:05`."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# `clip` cuts at the last space when that drops at most this share of the room; further back (Chinese,
# Japanese, a long URL or token) it cuts inside the word rather than lose the text.
WORD_CUT_SHARE = 0.3


def clip(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters: cut (with "…") at a word boundary near the end, else
    inside the word, never between a letter and its combining marks."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - 1
    space = text.rfind(" ", 0, room + 1)
    if space >= room * (1 - WORD_CUT_SHARE):
        return text[:space].rstrip(",;:") + "…"
    import unicodedata  # only a cut inside a word needs it: 0.29 ms off `import api.main` (-X importtime)

    end = room
    while end > 0 and unicodedata.category(text[end]).startswith("M"):  # text[end]: the first one dropped
        end -= 1
    return text[: end or room] + "…"


def byte_size(size: int) -> str:
    """A size in bytes as people read it: `2097152` → `2 MB`, `1536` → `1.5 KB`, `900` → `900 bytes`."""
    if size >= 1_048_576:
        return f"{size / 1_048_576:.3g} MB"
    return f"{size / 1024:.3g} KB" if size >= 1024 else f"{size} bytes"
