"""Caption snippets → timed sentence-like units, for punctuated and for auto-generated captions."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from itertools import pairwise
from statistics import median

from core.lazy import lazy_regex
from summarizer.models import Sentence, Snippet
from summarizer.words import CJK, FUNCTION_WORDS, OPENERS

# Every pattern here is compiled at its first use, in the CPU process: the web process imports this module
# with the outline (api/warmup.py, or the first job) but never splits a transcript; compiling the nine costs
# 5.9 ms of CPU (`benchmarks/regexes.py`).

# Han ideographs and kana: one "word" per character (no spaces between words in Chinese/Japanese).
_TOKEN = lazy_regex(rf"[{CJK}]|[^\s{CJK}]+")
_CJK_EDGE = lazy_regex(rf"[{CJK}]")

# Non-spoken cue text: [Music], [ rires ], *Beifall*, ♪ lyrics ♪, stray notes, HTML tags.
_NOISE = lazy_regex(r"\[[^\]]*\]|\*[^*\n]+\*|♪[^♪]*♪|[♪♫]|</?[a-zA-Z][^>]*>")
_SOUND_WORDS = (
    "music|musique|musik|música|musica|applause|applauding|applaudissements|applaus|aplausos|beifall|"
    "laughter|laughing|laughs|rires|rire|lachen|gelächter|risas|acclamations|cheering|cheers|silence|"
    "inaudible|indistinct|crosstalk"
)
_PAREN_NOISE = lazy_regex(
    rf"\(\s*(?:(?:{_SOUND_WORDS})(?:\s*,\s*(?:{_SOUND_WORDS}))*|\.{{2,}}|…)\s*\)", re.IGNORECASE
)
# Speaker-change marks at the start of a line or after a sentence end: "- ", "-Oui", ">> ".
# Not "-5" (a number) nor "U.S.-based".
_SPEAKER_MARK = lazy_regex(r"(?:^\s*|(?<=[.!?…])\s+)(?:>>+|[-–—]+(?!\d))", re.MULTILINE)
_SPACES = lazy_regex(r"\s+")  # str patterns are Unicode-aware: includes U+00A0

# A sentence end: terminal punctuation plus closing quotes/brackets (French "? »" included),
# followed by a space or the end of text; CJK terminals need no space.
_END = lazy_regex(r"[.!?…]+(?:[\"'”’)\]]|\s?»)*(?=\s|$)|[。！？]+[」』）]*")
# Words before "." that do not end a sentence when a capitalized word follows.
_TITLE = lazy_regex(r"mr|mrs|ms|dr|prof|st|mt|jr|sr|vs|hr|fr|mme|mlle|nr|cf|ca|bzw", re.IGNORECASE)
_INITIALS = lazy_regex(r"(?:[^\W\d_]\.)+[^\W\d_]?\.?")  # U.S.  e.g.  z.B.  J.

# Punctuated or not: manual tracks here have 3.3-7.2 sentence ends per 100 words (median sentence
# 11-23 words, the loosest being sektMcC_PAk); ASR tracks have 0. One end per 60 words is half the
# loosest human track, yet far above the odd "?" an ASR track may carry.
_PUNCTUATED_ENDS_PER_WORD = 1 / 60
# Auto captions: aim at units of about 10-30 words, cut at the longest pauses, never right after a
# function word ("…when the", "…can do in") and preferably before a word that opens a new thought.
_AUTO_TARGET_WORDS = 30
_AFTER_FUNCTION_WORD = -6.0
_BEFORE_OPENER = 3.0


def split_sentences(
    snippets: Sequence[Snippet], max_words: int = 40, language_code: str = ""
) -> list[Sentence]:
    """Cut caption snippets into timed sentences of at most `max_words` words, in time order.

    Punctuated captions are split at sentence ends, auto-generated ones at pauses into units of about
    10-30 words, not after a function word of `language_code` (en, de, fr) and preferably before an opener
    ("so", "now", "okay", …). `start` is when the first word is said (interpolated inside its cue), `end`
    is the end of the cue where the sentence ends. `starts` / `ends` tell whether the unit begins / ends a
    sentence: at sentence ends in punctuated captions, at openers in unpunctuated ones.
    """
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    cues = _clean_cues(snippets)
    if not cues:
        return []
    text, offsets = _join(cues)
    tokens = [(m.start(), m.end()) for m in _TOKEN().finditer(text)]
    cue_of = [bisect_right(offsets, start) - 1 for start, _ in tokens]
    ends = _sentence_ends(text, tokens)
    punctuated = len(ends) >= len(tokens) * _PUNCTUATED_ENDS_PER_WORD
    words = [text[a:b].lower().strip(_EDGE_PUNCTUATION) for a, b in tokens]
    language = language_code.split("-")[0].lower()
    scores = _break_scores(text, tokens, cue_of, cues, ends)
    if punctuated:
        hi, runs = max_words, _runs(len(tokens), ends)
        opens = {run_start for run_start, _ in runs}
    else:
        hi, runs = min(_AUTO_TARGET_WORDS, max_words), [(0, len(tokens))]
        opens = _mark_function_words_and_openers(scores, words, language)
    lo = max(1, hi // (4 if punctuated else 3))
    cuts = [0]
    for run_start, run_end in runs:
        cuts += [*_cuts(scores, run_start, run_end, lo, hi), run_end]
    sentences: list[Sentence] = []
    for a, b in pairwise(cuts):
        start = _moment(cues, cue_of[a], tokens[a][0] - offsets[cue_of[a]])
        last = cues[cue_of[b - 1]]
        text_of = text[tokens[a][0] : tokens[b - 1][1]]
        ends_here = b - 1 in ends if punctuated else b == len(tokens) or b in opens
        sentences.append(Sentence(text_of, start, last.start + last.duration, a in opens, ends_here))
    return sentences


_EDGE_PUNCTUATION = ",.!?;:\"'()[]«»“”‘’"


def _mark_function_words_and_openers(scores: list[float], words: list[str], language: str) -> set[int]:
    """Lower the scores of gaps after function words (and lone letters: ASR's "node s"), raise those
    before openers; the token indices that open a new thought (where a unit starting there begins)."""
    function_words = FUNCTION_WORDS.get(language, frozenset())
    openers = OPENERS.get(language, frozenset())
    opens = {0}
    for i, word in enumerate(words):
        if word in function_words or (len(word) == 1 and word not in "ia"):
            scores[i] += _AFTER_FUNCTION_WORD
        if i + 1 < len(words) and words[i + 1] in openers:
            scores[i] += _BEFORE_OPENER
            opens.add(i + 1)
    return opens


def word_count(text: str) -> int:
    """Words as `split_sentences` counts them: whitespace-separated, each CJK character one word."""
    return len(_TOKEN().findall(text))


def clean_text(text: str) -> str:
    """Caption text without cue-only noise, speaker marks and line breaks, whitespace collapsed."""
    text = _PAREN_NOISE().sub(" ", _NOISE().sub(" ", text))
    return _SPACES().sub(" ", _SPEAKER_MARK().sub(" ", text)).strip()


def _clean_cues(snippets: Sequence[Snippet]) -> list[Snippet]:
    """Cleaned, non-empty snippets in time order (stable for equal starts)."""
    cues = (Snippet(clean_text(s.text), s.start, max(0.0, s.duration)) for s in snippets)
    return sorted((c for c in cues if c.text), key=lambda c: c.start)


def _join(cues: list[Snippet]) -> tuple[str, list[int]]:
    """All cue texts in one string (no space between CJK characters) and each cue's offset in it."""
    parts: list[str] = []
    offsets: list[int] = []
    length = 0
    cjk = _CJK_EDGE()
    for cue in cues:
        if parts:
            glue = "" if cjk.match(parts[-1][-1]) and cjk.match(cue.text[0]) else " "
            parts.append(glue)
            length += len(glue)
        offsets.append(length)
        parts.append(cue.text)
        length += len(cue.text)
    return "".join(parts), offsets


def _sentence_ends(text: str, tokens: list[tuple[int, int]]) -> set[int]:
    """Indices of the tokens that end a sentence."""
    token_at_end = {end: i for i, (_, end) in enumerate(tokens)}
    ends: set[int] = set()
    for match in _END().finditer(text):
        following = text[match.end() : match.end() + 2].lstrip()
        if following[:1].islower():  # "that... the", "i.e. the": the sentence goes on
            continue
        index = token_at_end.get(match.end())
        if index is None:
            continue
        if match.group()[0] == "." and not match.group().startswith(".."):
            word = text[tokens[index][0] : match.start() + 1].lstrip("\"'“‘(«[¿¡")
            if _TITLE().fullmatch(word.rstrip(".")) or _INITIALS().fullmatch(word):
                continue
        ends.add(index)
    return ends


def _break_scores(
    text: str, tokens: list[tuple[int, int]], cue_of: list[int], cues: list[Snippet], ends: set[int]
) -> list[float]:
    """How good a place for a cut the gap after each token is (higher is better)."""
    pauses = _pauses(cues, cue_of)
    scores = [0.0] * len(tokens)
    for i, (_, end) in enumerate(tokens):
        if i in ends:
            scores[i] += 4.0
        elif text[end - 1] in ",;:":
            scores[i] += 2.0
        if i + 1 == len(tokens) or cue_of[i + 1] != cue_of[i]:
            scores[i] += 1.0 + pauses[cue_of[i]]
    return scores


def _pauses(cues: list[Snippet], cue_of: list[int]) -> list[float]:
    """Per cue, 0..1: how much longer than its words need the time to the next cue start is.

    Auto captions are back-to-back (each cue lasts until the next starts), so silence shows only as a
    longer start-to-start gap than the cue's words take at the video's typical speaking rate.
    """
    words = [0] * len(cues)
    for cue in cue_of:
        words[cue] += 1
    gaps = [b.start - a.start for a, b in pairwise(cues)]
    rates = [gap / n for gap, n in zip(gaps, words, strict=False) if gap > 0]
    seconds_per_word = median(rates) if rates else 0.0
    slack = [max(0.0, gap - n * seconds_per_word) for gap, n in zip(gaps, words, strict=False)]
    return [s / (s + 1.0) for s in slack] + [1.0]


def _runs(count: int, ends: set[int]) -> list[tuple[int, int]]:
    """Token ranges between sentence ends."""
    bounds = [0, *sorted(i + 1 for i in ends if i + 1 < count), count]
    return list(pairwise(bounds))


def _cuts(scores: list[float], start: int, end: int, lo: int, hi: int) -> list[int]:
    """Where to cut tokens [start, end) into pieces of at most `hi` (and, where possible, ≥ `lo`) tokens.

    Greedy: each piece ends at the best-scored gap among its allowed lengths, ties going to the length
    nearest the middle of lo..hi; the rest keeps at least `lo` tokens.
    """
    cuts: list[int] = []
    middle = (lo + hi) / 2
    while end - start > hi:
        best = start + middle
        start = max(
            range(start + lo, min(start + hi, end - lo) + 1), key=lambda p: (scores[p - 1], -abs(p - best))
        )
        cuts.append(start)
    return cuts


def _moment(cues: list[Snippet], cue: int, offset: int) -> float:
    """Time of character `offset` in cue `cue`, interpolated up to the next cue's start at most."""
    this = cues[cue]
    span = this.duration
    if cue + 1 < len(cues):
        span = min(span, cues[cue + 1].start - this.start)
    return this.start + span * offset / len(this.text)
