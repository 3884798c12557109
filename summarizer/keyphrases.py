"""Key phrases of a video (its topics) and of each chunk (its title), from the transcript's own statistics.

Candidates are runs of 1-4 content words: a run ends at punctuation, a stop word (sumy's list for the
language and summarizer/words.py's function words) or a generic spoken word ("thing", "gonna", …).
Variants count together (Snowball stems); each is shown in its commonest spelling. Sentences inside ad
windows are left out.

- Topics: candidates said at least `TOPIC_MIN_COUNT` times, scored by count x length bonus x spread over
  the chunks; multi-word phrases first (they name a subject better), single words only to make up
  `FEW_TOPICS`; a phrase that is mostly part of a longer candidate gives way to it, and no two topics
  share a word.
- Chunk title: its one or two candidates said most often in this chunk and least in the others (count x
  inverse chunk frequency; none said in every chunk), e.g. "parallel autonomy · testbed".

Term statistics only (no model, no data files beyond sumy's stop words): 0.01-0.03 CPU s per hour of
video on this machine (benchmarks/readability.py).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence

from core.lazy import lazy_regex
from summarizer.ads import Window, in_ad
from summarizer.extractive import language_tools
from summarizer.models import Chunk
from summarizer.words import CJK, uninformative

MAX_WORDS = 4
TOPIC_MIN_COUNT = 2
FEW_TOPICS = 5
TITLE_PHRASES = 2
TITLE_SEPARATOR = " \u00b7 "
_LENGTH_BONUS = (0.0, 1.0, 1.8, 2.2, 2.4)  # by words: a phrase of 2 words counts 1.8 times its count
_ABSORBED = 0.6  # a phrase said this share of its times inside a longer candidate gives way to it
_NAMES = 0.2  # a longer phrase said this share of a chosen word's times takes its place ("language model")
# Compiled at the first use, in the CPU process: the web process imports this module with the outline
# (api/warmup.py, or the first job) but never reads a phrase; compiling the two costs 3.6 ms of CPU
# (`benchmarks/regexes.py`).
_CLAUSES = lazy_regex(r"[.,;:!?()\[\]\"\u201c\u201d\u00ab\u00bb\u2026]+|\s[-\u2013\u2014]\s")
_WORD = lazy_regex(rf"[^\W\d_{CJK}](?:['\u2019-]?[^\W\d_{CJK}])*")

Key = tuple[str, ...]  # a phrase's stems


class KeyPhrases:
    """Phrase counts per chunk of a video; `topics()` and `title(i)` read them."""

    def __init__(self, chunks: Sequence[Chunk], language_code: str, ads: Sequence[Window] = ()) -> None:
        stem, stop_words = language_tools(language_code)
        self._stop = stop_words | uninformative(language_code)
        self._stem = stem
        self.per_chunk: list[Counter[Key]] = []
        self.total: Counter[Key] = Counter()
        self._spellings: defaultdict[str, Counter[str]] = defaultdict(Counter)  # stem → its words as written
        for chunk in chunks:
            counts: Counter[Key] = Counter()
            for sentence in chunk.sentences:
                if not in_ad(sentence, ads):
                    counts.update(self._phrases(sentence.text))
            self.per_chunk.append(counts)
            self.total.update(counts)
        self._chunks_with: Counter[Key] = Counter(key for counts in self.per_chunk for key in counts)

    def _phrases(self, text: str) -> Iterator[Key]:
        """Every candidate of `text`: the n-grams of its runs of content words (a word said twice in a row,
        a stutter, counts once)."""
        words = _WORD()
        for clause in _CLAUSES().split(text):
            run: list[str] = []
            for word in [*words.findall(clause), ""]:
                lower = word.lower()
                if word and lower not in self._stop and len(lower) > 2:
                    stem = self._stem(lower)
                    self._spellings[stem][word] += 1
                    if not run or run[-1] != stem:
                        run.append(stem)
                    continue
                for n in range(1, min(MAX_WORDS, len(run)) + 1):
                    for i in range(len(run) - n + 1):
                        yield tuple(run[i : i + n])
                run = []

    def spelling(self, key: Key) -> str:
        """The phrase as the transcript writes it: each word in its commonest spelling (lower-cased where it
        varies only in case: "Attention" at a sentence start, "attention" elsewhere)."""
        words = []
        for stem in key:
            spellings = self._spellings[stem]
            best = spellings.most_common(1)[0][0]
            cased = {s.lower() for s in spellings}
            words.append(best if len(cased) == len(spellings) else best.lower())
        return " ".join(words)

    def topics(self, count: int) -> list[str]:
        """Up to `count` key phrases of the whole video, best first."""
        chunks = max(1, len(self.per_chunk))
        candidates = {
            key: n
            for key, n in self.total.items()
            if n >= TOPIC_MIN_COUNT + (len(key) == 1)  # single words need one more mention
        }

        def score(key: Key) -> float:
            spread = 1 + math.log1p(self._chunks_with[key] * 4 / chunks)
            return candidates[key] * _LENGTH_BONUS[len(key)] * spread

        phrases = _best({k: n for k, n in candidates.items() if len(k) > 1}, score, count)
        used = {word for key in phrases for word in key}
        words: dict[Key, int] = {k: n for k, n in candidates.items() if len(k) == 1 and k[0] not in used}
        # Single words ("learning", "world") name a subject less well: they only fill up to FEW_TOPICS.
        fill = _best(words, score, max(0, min(count, FEW_TOPICS) - len(phrases)))
        return [self.spelling(key) for key in sorted(phrases + fill, key=lambda k: (-score(k), k))]

    def title(self, index: int) -> str | None:
        """A short label of chunk `index` from its most distinctive phrases, or None when none stands out."""
        counts = self.per_chunk[index]
        chunks = len(self.per_chunk)
        # A phrase of every chunk tells none apart (unless there is only one).
        candidates = {
            key: n for key, n in counts.items() if n >= 2 and (chunks == 1 or self._chunks_with[key] < chunks)
        }

        def score(key: Key) -> float:
            rarity = math.log((chunks + 1) / self._chunks_with[key])
            return candidates[key] * _LENGTH_BONUS[len(key)] * rarity

        chosen = _best(candidates, score, TITLE_PHRASES)
        return TITLE_SEPARATOR.join(self.spelling(key) for key in chosen) or None


def _best(candidates: dict[Key, int], score: Callable[[Key], float], count: int) -> list[Key]:
    """Up to `count` candidates by `score`, none sharing a word with a better one, none mostly said as part
    of a longer candidate ("language" of "language model")."""
    inside: dict[Key, int] = {}  # a phrase → the count of the most frequent longer candidate holding it
    for longer, n in candidates.items():
        for size in range(1, len(longer)):
            for i in range(len(longer) - size + 1):
                part = longer[i : i + size]
                inside[part] = max(inside.get(part, 0), n)
    chosen: list[Key] = []
    for key in sorted(candidates, key=lambda k: (-score(k), k)):
        if inside.get(key, 0) >= _ABSORBED * candidates[key]:
            continue
        overlapping = [i for i, c in enumerate(chosen) if set(c) & set(key)]
        if not overlapping:
            if len(chosen) < count:
                chosen.append(key)
            continue
        # "language model" names the subject better than the "model" taken before it, if said often enough.
        [i] = overlapping[:1]
        if (
            len(overlapping) == 1
            and _contains(key, chosen[i])
            and candidates[key] >= _NAMES * candidates[chosen[i]]
        ):
            chosen[i] = key
    return chosen


def _contains(longer: Key, key: Key) -> bool:
    return any(longer[i : i + len(key)] == key for i in range(len(longer) - len(key) + 1))
