"""Key points of a chunk and the TL;DR, picked by sumy from our own sentences (no NLTK data needed).

sumy is imported lazily: the web process imports this module only to hand its functions to the
worker process, which pays for sumy (and the nltk package it imports) once, in `warm_up`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from core.lazy import lazy_regex
from summarizer.ads import Window, in_ad
from summarizer.models import Chunk, ChunkSummary, Point, moment_url
from summarizer.readable import point_text
from summarizer.words import CJK, uninformative

if TYPE_CHECKING:
    from sumy.summarizers import AbstractSummarizer
    from sumy.summarizers._summarizer import SentenceInfo

# ISO 639-1 → sumy's language name (stop words in sumy/data/stopwords, Snowball or sumy stemmers).
_LANGUAGES = {
    "ar": "arabic",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "he": "hebrew",
    "hu": "hungarian",
    "it": "italian",
    "iw": "hebrew",
    "ja": "japanese",
    "ko": "korean",
    "nb": "norwegian",
    "nl": "dutch",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sk": "slovak",
    "sv": "swedish",
    "th": "thai",
    "uk": "ukrainian",
    "zh": "chinese",
}
# Key points shorter than this ("Yeah.", "Many knobs.") are taken only when nothing longer is left.
_MIN_POINT_WORDS = 6
# The TL;DR ranks at most this many points at once; more are first thinned group by group,
# which keeps its cost linear in the number of chunks.
_TLDR_POOL = 48
# A TL;DR candidate sharing more than this share of its content words with an item already taken repeats it.
_REPEAT_SHARE = 0.5

# Like sumy's own filter (letters, inner ' and -), without digits and punctuation; CJK per character.
# Compiled at the first use, in the CPU process: the web process imports this module with the outline
# (api/warmup.py, or the first job), to hand `summarize_chunk` and `make_tldr` over, but never tokenizes;
# compiling the two costs 3.7 ms of CPU (`benchmarks/regexes.py`).
_WORD = lazy_regex(rf"[{CJK}]|[^\W\d_{CJK}](?:['\u2019-]?[^\W\d_{CJK}])*")
_SENTENCE_BREAK = lazy_regex("(?<=[.!?\u2026\u3002\uff01\uff1f])\\s+")


class WordTokenizer:
    """sumy's tokenizer contract (`to_sentences`, `to_words`) with regexes instead of NLTK's Punkt."""

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(s for s in _SENTENCE_BREAK().split(paragraph.strip()) if s)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD().findall(sentence))


TOKENIZER = WordTokenizer()


@cache
def language_tools(language_code: str) -> tuple[Callable[[str], str], frozenset[str]]:
    """A (per-word cached) stemmer and the stop words for a language code like "en" or "pt-BR".

    Languages sumy does not know get no stop words and `null_stemmer` (lower-casing only).
    """
    from sumy.nlp.stemmers import Stemmer, null_stemmer
    from sumy.utils import get_stop_words

    name = _LANGUAGES.get(re.split(r"[-_]", language_code.lower())[0])
    stemmer: Callable[[str], str] = null_stemmer
    stop_words: frozenset[str] = frozenset()
    if name:
        with suppress(LookupError):
            stemmer = Stemmer(name)
        with suppress(LookupError):
            stop_words = get_stop_words(name)
    return lru_cache(maxsize=1 << 16)(stemmer), stop_words


def ranked(summarizer: AbstractSummarizer, texts: Sequence[str], count: int) -> list[int]:
    """Indices of the `count` sentences of `texts` that `summarizer` rates best, best first.

    Repeated texts are rated once (at their first place); ties go to the earlier sentence.
    """
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    first: dict[str, int] = {}
    for index, text in enumerate(texts):
        first.setdefault(text, index)
    sentences = [Sentence(text, TOKENIZER) for text in first]
    place = {id(s): index for s, index in zip(sentences, first.values(), strict=True)}
    best: list[SentenceInfo] = []

    def keep(infos: Sequence[SentenceInfo]) -> list[SentenceInfo]:
        best[:] = _best(infos, count)
        return best

    summarizer(ObjectDocumentModel([Paragraph(sentences)]), keep)
    return [place[id(info.sentence)] for info in best]


def rank(summarizer: AbstractSummarizer, texts: Sequence[str], count: int) -> list[int]:
    """Indices, ascending, of the `count` sentences of `texts` that `summarizer` rates best."""
    return sorted(ranked(summarizer, texts, count))


def summarize_chunk(
    chunk: Chunk,
    video_id: str,
    language_code: str,
    count: int,
    ads: Sequence[Window] = (),
    title: str | None = None,
) -> ChunkSummary:
    """The `count` key points of a chunk, in time order, each a readable point linked to its moment in the
    video; sentences inside an ad window are never picked."""
    candidates = [s for s in chunk.sentences if not in_ad(s, ads)]
    picked = [candidates[i] for i in rank(_summarizer(language_code), [s.text for s in candidates], count)]
    return ChunkSummary(
        chunk.index,
        chunk.start,
        chunk.end,
        [Point(point_text(s, language_code), s.start, moment_url(video_id, s.start)) for s in picked],
        title=title,
    )


def make_tldr(
    points: Sequence[Point], language_code: str, count: int, purpose: Point | None = None
) -> list[Point]:
    """The TL;DR: `count` separate points, the video's statement of `purpose` first when there is one, then
    the best-rated of the chunks' key points spread over the video (at most one from each of `count`
    stretches of it while others are left, none repeating an item's words), in time order."""
    summarizer = _summarizer(language_code)
    pool = sorted((p for p in points if purpose is None or p.start != purpose.start), key=lambda p: p.start)
    if not pool:
        return [purpose] if purpose else []
    first, last = pool[0].start, pool[-1].start  # the stretches span the whole video, not the thinned pool
    while len(pool) > _TLDR_POOL:
        groups = (pool[i : i + _TLDR_POOL] for i in range(0, len(pool), _TLDR_POOL))
        pool = [g[i] for g in groups for i in rank(summarizer, [p.text for p in g], _TLDR_POOL // 4)]

    def stretch(point: Point) -> int:
        return min(count - 1, int((point.start - first) / max(last - first, 1e-9) * count))

    words = language_tools(language_code)[1] | uninformative(language_code)
    chosen = [purpose] if purpose else []
    order = ranked(summarizer, [p.text for p in pool], len(pool))
    for spread in (True, False):  # first one per stretch, then the best of what is left
        for i in order:
            if len(chosen) == count:
                break
            point = pool[i]
            if point in chosen or _repeats(point, chosen, words):
                continue
            if spread and any(stretch(point) == stretch(c) for c in chosen if c is not purpose):
                continue
            chosen.append(point)
    rest = sorted((p for p in chosen if p is not purpose), key=lambda p: p.start)
    return [purpose, *rest] if purpose else rest


def _repeats(point: Point, chosen: Sequence[Point], stop_words: frozenset[str]) -> bool:
    """Whether most of `point`'s content words are already in one of `chosen`."""
    words = _content_words(point.text, stop_words)
    return any(
        len(words & (other := _content_words(c.text, stop_words)))
        > _REPEAT_SHARE * min(len(words), len(other))
        for c in chosen
    )


def _content_words(text: str, stop_words: frozenset[str]) -> set[str]:
    return {w.lower() for w in TOKENIZER.to_words(text)} - stop_words


def warm_up() -> None:
    """Import sumy and build the English tools now (the worker's initializer), not in the first job."""
    _summarizer("en")


@cache
def _summarizer(language_code: str) -> AbstractSummarizer:
    # TextRank, measured by benchmarks/algorithms.py: 0.075 CPU-s per hour of video, quality proxy 0.662, vs
    # LexRank 0.130/0.620, LSA 0.135/0.522, Luhn 0.032/0.566, SumBasic 0.028/0.572, KL 0.843/0.608
    # (docs/summaries.md).
    from sumy.summarizers.text_rank import TextRankSummarizer

    stemmer, stop_words = language_tools(language_code)
    summarizer = TextRankSummarizer(stemmer)
    summarizer.stop_words = stop_words
    return summarizer


def _best(infos: Sequence[SentenceInfo], count: int) -> list[SentenceInfo]:
    """The `count` best-rated sentences, long enough ones first; ratings rounded so ties are stable."""
    return sorted(
        infos, key=lambda i: (len(i.sentence.words) < _MIN_POINT_WORDS, -round(float(i.rating), 9), i.order)
    )[:count]
