"""Which sumy algorithm picks the key points: CPU time and a quality proxy on real transcripts.

Run from the project root: `.venv/bin/python benchmarks/algorithms.py` (about two minutes, most of it
the naive whole-video LexRank baseline; `--no-naive` skips that). Prints Markdown tables for
docs/summaries.md. CPU is `time.process_time()`; on the 0.1-CPU box 1 CPU-second ≈ 10 s of wall time.

Quality proxy: cosine similarity between the content-word vector (Snowball-stemmed, stop words removed)
of a chunk's chosen points and that of the whole chunk, averaged over chunks. It rewards points that
cover what the chunk talks about; longer points score higher, so their mean length is reported too.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from importlib import import_module
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sumy.nlp.stemmers import null_stemmer  # noqa: E402

from summarizer.ads import Window, ad_windows  # noqa: E402
from summarizer.chunking import make_chunks  # noqa: E402
from summarizer.extractive import TOKENIZER, language_tools, make_tldr, rank, summarize_chunk  # noqa: E402
from summarizer.keyphrases import KeyPhrases  # noqa: E402
from summarizer.models import Chunk, ChunkSummary, Snippet, Transcript  # noqa: E402
from summarizer.outline import SENTENCE_WORDS, TOPICS, outline  # noqa: E402
from summarizer.purpose import statement_of_purpose  # noqa: E402
from summarizer.sentences import split_sentences  # noqa: E402

TRANSCRIPTS = ROOT / "tests" / "data" / "transcripts"
CHUNK_SECONDS, CHUNK_WORDS, POINTS, TLDR = 300.0, 900, 3, 3
LONG = ("3zu317upAUA", "FtriFMxsOWw", "cdiD-9MMpb0")
NAIVE = "cdiD-9MMpb0"
ALGORITHMS = {
    "LexRank": "sumy.summarizers.lex_rank:LexRankSummarizer",
    "TextRank": "sumy.summarizers.text_rank:TextRankSummarizer",
    "LSA": "sumy.summarizers.lsa:LsaSummarizer",
    "Luhn": "sumy.summarizers.luhn:LuhnSummarizer",
    "SumBasic": "sumy.summarizers.sum_basic:SumBasicSummarizer",
    "KL": "sumy.summarizers.kl:KLSummarizer",
}
IMPORTS = [
    "numpy",
    "nltk.stem.snowball",
    "sumy.models.dom",
    *(path.split(":")[0] for path in ALGORITHMS.values()),
    "summarizer.extractive",
]


def load_transcripts() -> list[Transcript]:
    """All test transcripts, shortest first."""
    transcripts = []
    for path in TRANSCRIPTS.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        snippets = [Snippet(s["text"], s["start"], s["duration"]) for s in data["snippets"]]
        transcripts.append(
            Transcript(data["video_id"], data["language_code"], data["is_generated"], snippets)
        )
    return sorted(transcripts, key=lambda t: t.duration)


def make_summarizer(algorithm: str, language_code: str, stemmed: bool = True) -> object:
    """A sumy summarizer configured like summarizer.extractive's (stemmer, stop words)."""
    module, name = ALGORITHMS[algorithm].split(":")
    stemmer, stop_words = language_tools(language_code)
    summarizer = getattr(import_module(module), name)(stemmer if stemmed else null_stemmer)
    summarizer.stop_words = stop_words
    return summarizer


def content_vector(texts: Sequence[str], language_code: str) -> Counter[str]:
    stemmer, stop_words = language_tools(language_code)
    return Counter(
        stemmer(w.lower()) for t in texts for w in TOKENIZER.to_words(t) if w.lower() not in stop_words
    )


def cosine(a: Counter[str], b: Counter[str]) -> float:
    dot = sum(n * b[w] for w, n in a.items())
    norm = math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))
    return dot / norm if norm else 0.0


def timed(work: Callable[[], T]) -> tuple[T, float]:
    start = time.process_time()
    result = work()
    return result, time.process_time() - start


def run(summarizer: object, transcript: Transcript, chunks: list[Chunk]) -> dict[str, float]:
    """CPU for all chunks (cold stem cache, as in a fresh job) and the quality proxy."""
    language_tools(transcript.language_code)[0].cache_clear()  # type: ignore[attr-defined]
    picks, cpu = timed(lambda: [rank(summarizer, [s.text for s in c.sentences], POINTS) for c in chunks])
    points = [[c.sentences[i].text for i in p] for c, p in zip(chunks, picks, strict=True)]
    code = transcript.language_code
    quality = statistics.fmean(
        cosine(content_vector(p, code), content_vector([s.text for s in c.sentences], code))
        for c, p in zip(chunks, points, strict=True)
    )
    words = statistics.fmean(len(t.split()) for p in points for t in p)
    return {"cpu": cpu, "per_hour": cpu / (transcript.duration / 3600), "quality": quality, "words": words}


def chunks_of(transcript: Transcript) -> list[Chunk]:
    """The transcript's chunks, as the CPU process makes them (with the rest of its outline)."""
    return outline(transcript, CHUNK_SECONDS, CHUNK_WORDS).chunks


def topics_and_titles(chunks: list[Chunk], language_code: str, ads: list[Window]) -> None:
    """The video's topics and every chunk's title, as the outline makes them."""
    phrases = KeyPhrases(chunks, language_code, ads)
    phrases.topics(TOPICS)
    for chunk in chunks:
        phrases.title(chunk.index)


def key_points(transcript: Transcript, chunks: list[Chunk]) -> list[ChunkSummary]:
    """Every chunk's key points, as the CPU process makes them."""
    return [summarize_chunk(c, transcript.video_id, transcript.language_code, POINTS) for c in chunks]


def import_cost(module: str, runs: int = 5) -> float:
    """Median CPU seconds of `import module` in a fresh interpreter."""
    code = f"import time\nt = time.process_time()\nimport {module}\nprint(time.process_time() - t)"
    samples = [
        float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(samples)


def warm_up_cost(runs: int = 5) -> float:
    code = (
        "import time\nt = time.process_time()\nfrom summarizer.extractive import warm_up\nwarm_up()\n"
        "print(time.process_time() - t)"
    )
    samples = [
        float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, check=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(samples)


def main() -> None:
    warnings.simplefilter("ignore")  # LSA warns on chunks with fewer distinct words than sentences
    transcripts = load_transcripts()
    prepared = {}
    print(
        "## Split + chunk\n\n| video | lang | kind | duration | sentences | chunks | CPU s |\n|---|---|---|---|---|---|---|"
    )
    for t in transcripts:
        chunks, cpu = timed(partial(chunks_of, t))
        prepared[t.video_id] = chunks
        kind = "auto" if t.is_generated else "manual"
        sentences = sum(len(c.sentences) for c in chunks)
        print(
            f"| {t.video_id} | {t.language_code} | {kind} | {t.duration / 60:.1f} min | {sentences} "
            f"| {len(chunks)} | {cpu:.3f} |"
        )

    for algorithm in ALGORITHMS:  # import and build everything before timing
        for t in transcripts:
            make_summarizer(algorithm, t.language_code)
    results: dict[str, dict[str, dict[str, float]]] = {}
    print("\n## Per transcript\n\n| algorithm | video | CPU s | CPU s/h | quality | point words |")
    print("|---|---|---|---|---|---|")
    for algorithm in ALGORITHMS:
        results[algorithm] = {}
        for t in transcripts:
            r = run(make_summarizer(algorithm, t.language_code), t, prepared[t.video_id])
            results[algorithm][t.video_id] = r
            print(
                f"| {algorithm} | {t.video_id} | {r['cpu']:.3f} | {r['per_hour']:.3f} | {r['quality']:.3f} "
                f"| {r['words']:.1f} |"
            )

    hours = sum(t.duration for t in transcripts if t.video_id in LONG) / 3600
    print("\n## Summary\n\nCPU s/h on the three long transcripts together (5.9 h); quality and point words")
    print("averaged over all nine transcripts.\n")
    print("| algorithm | CPU s/h (long) | quality | point words |\n|---|---|---|---|")
    for algorithm, rows in results.items():
        per_hour = sum(rows[v]["cpu"] for v in LONG) / hours
        quality = statistics.fmean(r["quality"] for r in rows.values())
        words = statistics.fmean(r["words"] for r in rows.values())
        print(f"| {algorithm} | {per_hour:.3f} | {quality:.3f} | {words:.1f} |")

    print("\n## Stemmer: Snowball vs lower-casing only (quality always measured with Snowball stems)\n")
    print("| algorithm | stemmer | CPU s/h (long) | quality (all) |\n|---|---|---|---|")
    for algorithm in ("LexRank", "TextRank", "SumBasic"):
        for stemmed in (True, False):
            rows = {
                t.video_id: run(make_summarizer(algorithm, t.language_code, stemmed), t, prepared[t.video_id])
                for t in transcripts
            }
            per_hour = sum(rows[v]["cpu"] for v in LONG) / hours
            quality = statistics.fmean(r["quality"] for r in rows.values())
            print(f"| {algorithm} | {'Snowball' if stemmed else 'none'} | {per_hour:.3f} | {quality:.3f} |")

    print("\n## Whole pipeline as the CPU process runs it (chosen algorithm, cold stem cache)\n")
    print(
        "The outline's steps (summarizer/outline.py) one by one, then the key points and the TL;DR.\n\n"
        "| video | duration | sentences | chunks | ad windows | key phrases | purpose | key points | TL;DR "
        "| total CPU s | CPU s/h |\n|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for t in (t for t in transcripts if t.video_id in LONG):
        language_tools(t.language_code)[0].cache_clear()  # type: ignore[attr-defined]
        units, split = timed(partial(split_sentences, t.snippets, SENTENCE_WORDS, t.language_code))
        chunks, grouped = timed(partial(make_chunks, units, CHUNK_SECONDS, CHUNK_WORDS))
        ads, windows = timed(partial(ad_windows, units))
        _, phrases = timed(partial(topics_and_titles, chunks, t.language_code, ads))
        _, purpose = timed(partial(statement_of_purpose, units, t.language_code, ads))
        summaries, points = timed(partial(key_points, t, chunks))
        every = [p for s in summaries for p in s.points]
        _, tldr = timed(partial(make_tldr, every, t.language_code, TLDR))
        steps = (split, grouped, windows, phrases, purpose, points, tldr)
        total = sum(steps)
        cells = " | ".join(f"{step:.3f}" for step in steps)
        print(
            f"| {t.video_id} | {t.duration / 3600:.2f} h | {cells} | {total:.3f} | {total / (t.duration / 3600):.3f} |"
        )

    if "--no-naive" not in sys.argv:
        long = next(t for t in transcripts if t.video_id == NAIVE)
        everything = [s.text for c in prepared[NAIVE] for s in c.sentences]
        language_tools(long.language_code)[0].cache_clear()  # type: ignore[attr-defined]
        summarizer = make_summarizer("LexRank", long.language_code)
        _, cpu = timed(partial(rank, summarizer, everything, POINTS * len(prepared[NAIVE])))
        print(f"\n## Naive baseline\n\nLexRank over all {len(everything)} sentences of {NAIVE} at once:")
        print(f"{cpu:.1f} CPU s ({cpu / (long.duration / 3600):.1f} CPU s/h).")

    print("\n## Import cost (CPU s, median of 5 fresh interpreters)\n\n| import | CPU s |\n|---|---|")
    for module in IMPORTS:
        print(f"| `import {module}` | {import_cost(module):.3f} |")
    print(f"| `summarizer.extractive.warm_up()` (import + English tools) | {warm_up_cost():.3f} |")


if __name__ == "__main__":
    main()
