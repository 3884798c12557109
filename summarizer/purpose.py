"""A video's own statement of what it is about ("in this video we'll see …", "today we're going to …").

Looked for in the opening of the video (the first `OPENING_SHARE` of it, at least `OPENING_MIN` seconds),
outside ad windows: the first sentence that says it is the one. English, German and French phrasings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.lazy import lazy_regex
from summarizer.ads import Window, in_ad
from summarizer.models import Sentence

OPENING_SHARE = 0.25
OPENING_MIN = 180.0

_THIS = r"(?:video|talk|lecture|episode|chapter|lesson|tutorial|course|session|presentation|series)"
# Compiled at the first use, in the CPU process (only the video's language): the web process imports this
# module with the outline (api/warmup.py, or the first job) but never looks for a purpose; compiling the
# three costs 1.3 ms of CPU (`benchmarks/regexes.py`).
_PURPOSE = {
    "en": lazy_regex(
        rf"\b(?:in this {_THIS}\b|this {_THIS} is (?:about|all about)|"
        r"(?:today|here|now) (?:we|i|we'll|i'll|we're|i'm|we are|i am) (?:going to|gonna|will|want to|'re going to)"
        r"|(?:we|i)(?:'re| are|'m| am) going to (?:talk|look|see|explain|discuss|show|learn|cover|explore|dig)"
        r"|(?:we|i) (?:will|'ll) (?:talk|look|see|explain|discuss|show|learn|cover|explore|dig into)"
        r"|(?:let's|let us) (?:talk about|dive into|dig into)"
        r"|i want to (?:talk|show|explain|tell you) about)",
        re.IGNORECASE,
    ),
    "de": lazy_regex(
        r"\b(?:in diesem (?:video|vortrag|kapitel)|heute (?:werden|wollen|möchte|will) (?:wir|ich)"
        r"|(?:wir|ich) (?:werden|wollen) (?:heute|uns))",
        re.IGNORECASE,
    ),
    "fr": lazy_regex(
        r"\b(?:dans cette (?:vidéo|conférence|leçon)|aujourd'hui,? (?:nous allons|on va|je vais)"
        r"|(?:nous allons|on va|je vais) (?:voir|parler|expliquer|découvrir))",
        re.IGNORECASE,
    ),
}


def statement_of_purpose(
    sentences: Sequence[Sentence], language_code: str, ads: Sequence[Window] = ()
) -> Sentence | None:
    """The sentence of the video's opening that says what the video is about, or None."""
    compiled = _PURPOSE.get(language_code.split("-")[0].lower())
    if compiled is None or not sentences:
        return None
    pattern = compiled()
    opening = max(OPENING_MIN, OPENING_SHARE * sentences[-1].end)
    for sentence in sentences:
        if sentence.start > opening:
            break
        if pattern.search(sentence.text) and not in_ad(sentence, ads):
            return sentence
    return None
