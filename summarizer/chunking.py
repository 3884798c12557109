"""Sentences → time-ordered chunks bounded in seconds and words, each summarized on its own."""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.models import Chunk, Sentence
from summarizer.sentences import word_count

# A trailing chunk below this share of either limit is folded into the previous one,
# if the result stays within _MERGE_SLACK times both limits.
_TINY_SHARE = 0.25
_MERGE_SLACK = 1.25


def make_chunks(sentences: Sequence[Sentence], max_seconds: float, max_words: int) -> list[Chunk]:
    """Group sentences, in order, into chunks of at most `max_seconds` span and `max_words` words.

    A sentence that alone passes a limit gets a chunk of its own; a tiny last chunk joins the one before.
    """
    if max_seconds <= 0 or max_words < 1:
        raise ValueError("chunk limits must be positive")
    groups: list[list[Sentence]] = []
    words, end = 0, 0.0
    for sentence in sentences:
        count = _words(sentence)
        if (
            groups
            and words + count <= max_words
            and max(end, sentence.end) - groups[-1][0].start <= max_seconds
        ):
            groups[-1].append(sentence)
            words, end = words + count, max(end, sentence.end)
        else:
            groups.append([sentence])
            words, end = count, sentence.end
    if len(groups) > 1 and _is_tiny(groups[-1], max_seconds, max_words):
        merged = groups[-2] + groups[-1]
        if sum(map(_words, merged)) <= _MERGE_SLACK * max_words and (
            _span(merged) <= _MERGE_SLACK * max_seconds
        ):
            groups[-2:] = [merged]
    return [Chunk(index, group) for index, group in enumerate(groups)]


def _words(sentence: Sentence) -> int:
    return word_count(sentence.text)


def _span(group: list[Sentence]) -> float:
    return max(s.end for s in group) - group[0].start


def _is_tiny(group: list[Sentence], max_seconds: float, max_words: int) -> bool:
    return sum(map(_words, group)) < _TINY_SHARE * max_words or _span(group) < _TINY_SHARE * max_seconds
