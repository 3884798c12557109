"""Ad windows: sponsor reads and channel plugs ("like and subscribe", merch, Patreon) as time ranges.

A sentence scores by the phrases it holds: a sponsorship or a known sponsor's name counts 2, a call to
action that ads and plugs use ("link in the description", "sign up for free", "% off") counts 1.
Neighbouring sentences that score (less than `GAP` seconds apart) form a cluster; a cluster worth at least
`MIN_SCORE` becomes a window, padded by `PAD_BEFORE` / `PAD_AFTER` seconds (a read starts before its first
tell-tale phrase). No point, TL;DR item or key phrase is taken from inside a window.

English phrases plus the commonest German and French ones; an ad in another language is not found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.lazy import lazy_regex
from summarizer.models import Sentence

Window = tuple[float, float]  # seconds: start, end

GAP = 45.0
MIN_SCORE = 3
PAD_BEFORE = 15.0
PAD_AFTER = 10.0

# Compiled at the first use, in the CPU process: the web process imports this module with the outline
# (api/warmup.py, or the first job) but never scores a sentence, and compiling the two costs 1.6 ms of CPU
# (`benchmarks/regexes.py`).
_STRONG = lazy_regex(
    r"\b(?:sponsor(?:s|ed|ing|ship)?|brought to you by|thanks? to \w+ for (?:supporting|sponsoring)"
    r"|brilliant\.org|skillshare|squarespace|nord ?vpn|express ?vpn|surfshark|audible|hello ?fresh"
    r"|manscaped|curiosity ?stream|raid shadow legends|dashlane|ridge wallet|athletic greens|ag1"
    r"|better ?help|established titles|patreon|promo code|discount code|coupon code|merch(?:andise)?"
    r"|gesponsert|werbepartner|sponsorisé|partenaire de cette vidéo)\b",
    re.IGNORECASE,
)
_WEAK = lazy_regex(
    r"(?:\blink (?:is )?(?:in|below) (?:the|my)? ?description|\bin the description\b|\bdescription below\b"
    r"|\blike and subscribe|\bsubscribe to (?:the|my|our|this) channel|\bhit (?:the|that) (?:bell|like)"
    r"|\bsign up (?:for free|today|now)|\bfree trial\b|\bfirst \d+ (?:people|viewers|users)"
    r"|\b\d+ ?(?:%|percent) off\b|\boff (?:your|their) (?:first|annual)|\buse (?:the|my) (?:link|code)"
    r"|\bvisit \w+\.(?:com|org|io|net)\b|\bsupport (?:the|this|our) channel|\bgo to \w+\.(?:com|org)\b"
    r"|\bcheck out (?:our|my|the) (?:sponsors?|merch|store|shop|other channel)|\b(?:are|is) collaborating\b"
    r"|\b(?:partnered|partnering|in partnership) with\b|\b(?:this video|today's video) is (?:supported|brought)"
    r"|\babonniert|\babonnez-vous|\bdans la description\b|\bin der beschreibung\b)",
    re.IGNORECASE,
)


def ad_score(text: str) -> int:
    """How strongly `text` reads like an ad or a channel plug (0: not at all)."""
    return 2 * len(_STRONG().findall(text)) + len(_WEAK().findall(text))


def ad_windows(sentences: Sequence[Sentence]) -> list[Window]:
    """The windows of the transcript's ad reads and plugs, in time order, merged where they overlap."""
    clusters: list[tuple[float, float, int]] = []  # start, end, score
    for sentence in sentences:
        if not (score := ad_score(sentence.text)):
            continue
        if clusters and sentence.start - clusters[-1][1] <= GAP:
            start, _, total = clusters[-1]
            clusters[-1] = (start, max(clusters[-1][1], sentence.end), total + score)
        else:
            clusters.append((sentence.start, sentence.end, score))
    windows: list[Window] = []
    for start, end, score in clusters:
        if score < MIN_SCORE:
            continue
        window = (max(0.0, start - PAD_BEFORE), end + PAD_AFTER)
        if windows and window[0] <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], window[1]))
        else:
            windows.append(window)
    return windows


def in_ad(sentence: Sentence, windows: Sequence[Window]) -> bool:
    """Whether most of `sentence` lies inside one of the windows."""
    middle = (sentence.start + sentence.end) / 2
    return any(start <= middle <= end for start, end in windows)
