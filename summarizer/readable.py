"""A transcript sentence as a point people read: spoken disfluencies out, fragments marked, capital starts.

- Disfluencies: a word or two-word phrase said twice in a row ("that's that's", "in the in the"), the
  fillers "uh", "um" and their kin, and "you know" / "I mean" where they only fill (before a comma or the
  end, or before a new clause: a subject pronoun or a conjunction). Meaning stays: "had had", "you know
  the answer", "I mean what I say" are kept.
- A point that does not begin where a sentence does starts with "…", one that does not end where a
  sentence does ends with "…" (`Sentence.starts` / `.ends`); a real sentence start gets a capital letter,
  a fragment does not (it must not look like a sentence).
- English auto-captions write "I" as "i": it is written "I".
"""

from __future__ import annotations

import re

from core.lazy import lazy_regex
from summarizer.models import Sentence

ELLIPSIS = "\u2026"
# Said twice on purpose: "had had", "that that" as in "the claim that that is false" is rarer than a stutter.
_KEPT_REPEATS = frozenset(
    {
        "had",
        "bye",
        "no",
        "very",
        "really",
        "so",
        "ha",
        "knock",
        "go",
        "far",
        "more",
        "much",
        "many",
        "deep",
        "long",
    }
)
# Compiled at the first use, in the CPU process: the web process imports this module (as summarizer/ads.py)
# but never makes a point, and compiling these six costs 0.8 ms of CPU (`benchmarks/regexes.py`).
_REPEAT = lazy_regex(r"\b(\w+(?:['\u2019]\w+)?(?: \w+(?:['\u2019]\w+)?)?)(?:[ ,]+\1\b)+", re.IGNORECASE)
_FILLER = lazy_regex(
    r"(?:^|(?<=[\s,]))(?:uh+|u[hm]+|erm+|ah+|hmm+|mm+|euh+|äh+m?|ähm+)(?=[\s,.!?]|$),?\s*", re.I
)
# "you know" / "I mean" as fillers: at the start or end, between commas, or before a subject or conjunction.
_NEXT_CLAUSE = r"(?:i|we|they|he|she|it's|that's|there's|and|but|so|like|because)\b"
_HEDGE = lazy_regex(
    rf"(?:^|(?<=,)|(?<=\s))(?:you know|i mean)(?:,\s*|\s+(?={_NEXT_CLAUSE})|\s*$|(?=[.!?]))", re.IGNORECASE
)
_SPACE_PUNCT = lazy_regex(r"\s+([,.!?;:])")
_SPACES = lazy_regex(r"\s{2,}")
_LONE_I = lazy_regex(r"(?<![\w'\u2019])i(?=$|[\s,.!?;:]|['\u2019](?:m|d|ll|ve)\b)")


def without_disfluencies(text: str) -> str:
    """`text` without stutters, filler sounds and filler phrases."""
    text = _FILLER().sub("", text)
    text = _HEDGE().sub("", text)
    text = _REPEAT().sub(_first_unless_kept, text)
    text = _SPACE_PUNCT().sub(r"\1", _SPACES().sub(" ", text)).strip(" ,")
    return text


def _first_unless_kept(match: re.Match[str]) -> str:
    said = match.group(1)
    return match.group(0) if said.lower() in _KEPT_REPEATS else said


def point_text(sentence: Sentence, language_code: str) -> str:
    """`sentence`'s text as a readable point (see the module docstring)."""
    text = without_disfluencies(sentence.text)
    if language_code.split("-")[0].lower() == "en":
        text = _LONE_I().sub("I", text)
    if not text:
        return text
    # A sentence start gets its capital; a fragment its "…" (no capital: it must not look like a sentence).
    text = text[0].upper() + text[1:] if sentence.starts else ELLIPSIS + text.lstrip(ELLIPSIS + ".")
    if not sentence.ends:
        text = text.rstrip(" ,;:-\u2013\u2014") + ELLIPSIS
    return text
