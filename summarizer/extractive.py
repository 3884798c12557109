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

from summarizer.models import Chunk, ChunkSummary, Point, moment_url

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

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Like sumy's own filter (letters, inner ' and -), without digits and punctuation; CJK per character.
_WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}](?:['\u2019-]?[^\W\d_{_CJK}])*")
_SENTENCE_BREAK = re.compile("(?<=[.!?\u2026\u3002\uff01\uff1f])\\s+")


class WordTokenizer:
    """sumy's tokenizer contract (`to_sentences`, `to_words`) with regexes instead of NLTK's Punkt."""

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(s for s in _SENTENCE_BREAK.split(paragraph.strip()) if s)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(_WORD.findall(sentence))


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


def rank(summarizer: AbstractSummarizer, texts: Sequence[str], count: int) -> list[int]:
    """Indices, ascending, of the `count` sentences of `texts` that `summarizer` rates best.

    Repeated texts are rated once (at their first place); ties go to the earlier sentence.
    """
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    first: dict[str, int] = {}
    for index, text in enumerate(texts):
        first.setdefault(text, index)
    sentences = [Sentence(text, TOKENIZER) for text in first]
    place = {id(s): index for s, index in zip(sentences, first.values(), strict=True)}
    chosen = summarizer(ObjectDocumentModel([Paragraph(sentences)]), lambda infos: _best(infos, count))
    return sorted(place[id(s)] for s in chosen)


def summarize_chunk(chunk: Chunk, video_id: str, language_code: str, count: int) -> ChunkSummary:
    """The `count` key points of a chunk, in time order, each linked to its moment in the video."""
    picked = rank(_summarizer(language_code), [s.text for s in chunk.sentences], count)
    points = [chunk.sentences[i] for i in picked]
    return ChunkSummary(
        chunk.index,
        chunk.start,
        chunk.end,
        [Point(s.text, s.start, moment_url(video_id, s.start)) for s in points],
    )


def make_tldr(points: Sequence[Point], language_code: str, count: int) -> str:
    """A TL;DR: the `count` best of the chunks' key points, in time order, as one paragraph."""
    summarizer = _summarizer(language_code)
    pool = sorted(points, key=lambda p: p.start)
    while len(pool) > _TLDR_POOL:
        groups = (pool[i : i + _TLDR_POOL] for i in range(0, len(pool), _TLDR_POOL))
        pool = [g[i] for g in groups for i in rank(summarizer, [p.text for p in g], _TLDR_POOL // 4)]
    return " ".join(pool[i].text for i in rank(summarizer, [p.text for p in pool], count))


def warm_up() -> None:
    """Import sumy and build the English tools now (the worker's initializer), not in the first job."""
    _summarizer("en")


@cache
def _summarizer(language_code: str) -> AbstractSummarizer:
    # TextRank, measured by benchmarks/algorithms.py: 0.075 CPU-s per hour of video, quality proxy 0.662, vs LexRank
    # 0.130/0.620, LSA 0.135/0.522, Luhn 0.032/0.566, SumBasic 0.028/0.572, KL 0.843/0.608 (docs/summaries.md).
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
