"""What a video is made of before any point is picked: its chunks, topics, chunk titles, ad windows and
its own statement of purpose. The first step of a job, in the CPU process.

Every later step reads the outline: key points skip sentences inside an ad window (sponsor reads, "like
and subscribe"), each chunk gets its title, the TL;DR starts with the statement of purpose. Deterministic
for a transcript and limits, so a resumed job gets the same chunks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from summarizer.ads import Window, ad_windows
from summarizer.chunking import make_chunks
from summarizer.keyphrases import KeyPhrases
from summarizer.models import Chunk, Point, Transcript, moment_url
from summarizer.purpose import statement_of_purpose
from summarizer.readable import point_text
from summarizer.sentences import split_sentences

# Longest sentence `outline` makes, when the chunks allow it.
SENTENCE_WORDS = 40
TOPICS = 8  # key phrases of a whole video, at most


@dataclass(frozen=True, slots=True)
class Outline:
    """A transcript cut into chunks, with what the whole video and each chunk are about."""

    chunks: list[Chunk]
    topics: list[str] = field(default_factory=list)  # 3-8 key phrases of the video (fewer when it is short)
    titles: list[str | None] = field(default_factory=list)  # per chunk
    ads: list[Window] = field(default_factory=list)  # (start, end) of sponsor reads and channel plugs
    purpose: Point | None = None  # "in this video we'll see …", when the video says what it is about


def outline(transcript: Transcript, max_seconds: float, max_words: int) -> Outline:
    """Chunks of at most `max_seconds` and `max_words`, and what they are about."""
    sentences = split_sentences(
        transcript.snippets, max_words=min(SENTENCE_WORDS, max_words), language_code=transcript.language_code
    )
    chunks = make_chunks(sentences, max_seconds, max_words)
    ads = ad_windows(sentences)
    phrases = KeyPhrases(chunks, transcript.language_code, ads)
    said = statement_of_purpose(sentences, transcript.language_code, ads)
    purpose = None
    if said is not None:
        text = point_text(said, transcript.language_code)
        purpose = Point(text, said.start, moment_url(transcript.video_id, said.start))
    return Outline(
        chunks, phrases.topics(TOPICS), [phrases.title(chunk.index) for chunk in chunks], ads, purpose
    )
