"""Transcript passages that answer a question: BM25 over the video's timed sentences. Runs in the CPU process.

The index: the transcript's timed sentences (`split_sentences`, the summarizer's own, so unpunctuated
auto-captions come as 10-30-word units), packed in time order into groups of about `GROUP_WORDS` words (a
few sentences: BM25 needs more than one short sentence of text to tell passages apart), each group a
bag of stems (the language's Snowball/sumy stemmer, its stop words dropped: `language_tools`, as the
summarizer uses, with summarizer/words.py's function words; unknown languages are lower-cased only).
`rank_bm25.BM25Okapi` scores the groups; the best are returned as passages, adjacent groups merged.

Indexes stay in this process (`_INDEXES`, the `ASK_INDEXES` most recently asked videos), so the next
question on a video costs only its query; the web process hands the transcript over only when the index is
missing (`search` returns None).

CPU, `sudo ../shared/tools/render-sim --cpu 0.1 --mem 512M -- .venv/bin/python benchmarks/ask.py` (CPU time
does not change under the 0.1-CPU quota, only wall time): cdiD-9MMpb0 (3.5 h, 706 groups) cold 0.14-0.21 s
(sentences, stems, BM25 index, the query), warm 0.3 ms per question (at most 1 ms); its index 1.3 MB.
docs/ask.md has the table.

Library, measured before choosing (`benchmarks/ask.py --libraries`: import after numpy and sumy, which the
CPU process already has for TextRank, in a fresh interpreter; index and query of cdiD-9MMpb0's groups, ms):
rank-bm25 0.2.2 imports in 2, indexes in 4-5, answers in 0.2; bm25s 0.3.16 imports in 25 (tqdm, its BEIR
helpers), indexes in 12-14, answers in 0.02. Both are far below the sentence split; rank-bm25 costs less
where it counts (the child restarts after `CPU_PROCESS_IDLE_SECONDS`, and every cold question builds).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from core.lazy import lazy_regex
from summarizer.models import Sentence, Transcript
from summarizer.words import CJK, FUNCTION_WORDS

if TYPE_CHECKING:
    from rank_bm25 import BM25Okapi

# A group closes once it holds this many words: 2-4 sentences of manual captions (median 11-23 words),
# 2-3 units of auto-captions.
GROUP_WORDS = 45
# Adjacent groups merged into one passage at most (so a passage stays "a few sentences").
MERGE_GROUPS = 3
MIN_PASSAGES = 3  # returned when that many groups match at all
MAX_PASSAGES = 5  # the 4th and 5th only when they score at least `EXTRA_SHARE` of the best
EXTRA_SHARE = 0.5
MAX_QUERY_TERMS = 32  # distinct stems of a question that are scored (bounds the CPU of one question)

# Words with their digits ("2017", "gpt4") and inner hyphens; CJK one character each. An apostrophe splits
# ("l'OTAN" → "l", "OTAN"), and the one-letter pieces left ("l", "d", "s") are dropped. Compiled at the first
# use, in the CPU process: compiling it costs 3.2 ms of CPU, which the web process would pay at start-up for
# nothing (`benchmarks/regexes.py`).
_words = lazy_regex(rf"[{CJK}]|[^\W_{CJK}]{{2,}}(?:-[^\W_{CJK}]+)*")

# The most recently asked videos' indexes, newest last; `ASK_INDEXES` long (set by `search`).
_INDEXES: OrderedDict[str, VideoIndex] = OrderedDict()


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of the transcript: its text, when it starts, how well it matches (BM25)."""

    text: str
    start: float
    score: float


class VideoIndex:
    """One transcript's groups of sentences and their BM25 index."""

    def __init__(self, sentences: Sequence[Sentence], language_code: str) -> None:
        from rank_bm25 import BM25Okapi  # with the index, in the CPU process only

        self.language_code = language_code
        self.groups = _groups(sentences)
        documents = [terms(" ".join(s.text for s in group), language_code) for group in self.groups]
        # BM25Okapi divides by the average length: an empty video would have none.
        self._bm25: BM25Okapi | None = BM25Okapi(documents) if any(documents) else None

    @classmethod
    def of(cls, transcript: Transcript) -> VideoIndex:
        # Imported here, in the CPU process: the web process imports this module only to hand `search` over,
        # and the sentence splitter costs 8.4 ms of CPU to import
        # (`benchmarks/imports.py --base summarizer.extractive summarizer.sentences`).
        from summarizer.sentences import split_sentences

        lang = transcript.language_code
        return cls(split_sentences(transcript.snippets, language_code=lang), lang)

    def search(self, question: str) -> list[Passage]:
        """The best passages for `question`, best first: `MIN_PASSAGES` when that many groups match, up to
        `MAX_PASSAGES` when the others score close to the best; adjacent groups merged."""
        query = list(dict.fromkeys(terms(question, self.language_code)))[:MAX_QUERY_TERMS]
        if self._bm25 is None or not query:
            return []
        scores = self._bm25.get_scores(query)
        order = sorted((i for i in range(len(scores)) if scores[i] > 0), key=lambda i: (-scores[i], i))
        runs: list[list[int]] = []  # groups per passage, in the order their best group was found
        for i in order:
            if len(runs) >= MIN_PASSAGES and scores[i] < EXTRA_SHARE * scores[order[0]]:
                break
            run = next((r for r in runs if r[0] - 1 <= i <= r[-1] + 1 and len(r) < MERGE_GROUPS), None)
            if run is not None:
                run.append(i)
                run.sort()
            elif len(runs) < MAX_PASSAGES:
                runs.append([i])
        return [self._passage(run, max(float(scores[i]) for i in run)) for run in runs]

    def _passage(self, run: list[int], score: float) -> Passage:
        sentences = [s for i in range(run[0], run[-1] + 1) for s in self.groups[i]]
        text = " ".join(s.text for s in sentences)
        if not sentences[0].starts:
            text = "…" + text
        if not sentences[-1].ends:
            text += "…"
        return Passage(text, sentences[0].start, round(score, 3))


def terms(text: str, language_code: str) -> list[str]:
    """The stems of `text`'s words that are not stop words of its language."""
    stem, stop_words = _tools(language_code)
    return [stem(word) for word in _words().findall(text.lower()) if word not in stop_words]


@cache
def _tools(language_code: str) -> tuple[Callable[[str], str], frozenset[str]]:
    """The language's stemmer, and sumy's stop words with our function words (sumy's French list has no
    "de", its German one no "haben": summarizer/words.py)."""
    # Imported here, in the CPU process: at the top, `import api.main` (summarizer.ask imports this module)
    # would import the extractive summary's modules before the port opens (0.7 ms of CPU after it,
    # `benchmarks/imports.py summarizer.extractive`); the web process imports them with the outline.
    from summarizer.extractive import language_tools

    stem, stop_words = language_tools(language_code)
    return stem, stop_words | FUNCTION_WORDS.get(language_code.split("-")[0].lower(), frozenset())


def _groups(sentences: Sequence[Sentence]) -> list[list[Sentence]]:
    groups: list[list[Sentence]] = []
    group: list[Sentence] = []
    words = 0
    for sentence in sentences:
        group.append(sentence)
        words += len(sentence.text.split())
        if words >= GROUP_WORDS:
            groups.append(group)
            group, words = [], 0
    if group:
        groups.append(group)
    return groups


def search(key: str, question: str, transcript: Transcript | None, keep: int) -> list[Passage] | None:
    """Passages for `question` in the video `key` names (video and languages); None when this process has
    no index for it and no `transcript` was given to build one. Keeps the `keep` latest indexes."""
    index = _INDEXES.get(key)
    if index is None:
        if transcript is None:
            return None
        index = VideoIndex.of(transcript)
    _INDEXES[key] = index
    _INDEXES.move_to_end(key)
    while len(_INDEXES) > keep:
        _INDEXES.popitem(last=False)
    return index.search(question)
