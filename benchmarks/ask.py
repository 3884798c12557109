"""CPU per question (ask the video): cold (the video's index built first) and warm (the index kept).

Run from the project root, at Render's budget: `sudo ../shared/tools/render-sim --cpu 0.1 --mem 512M --
.venv/bin/python benchmarks/ask.py` (or without render-sim: CPU time is the same, only wall time grows).
For each video, `time.process_time()` of:

- `search` (summarizer/retrieval.py, what the CPU process runs): cold = sentences + stems + BM25 index +
  the query, each on a fresh index; warm = the query on the kept index;
- `Asker.ask` through an engine with the inline runner: the whole question (rate limit, cache lookups,
  the search) in one process, warm, each question a new one (no answer from the cache);
- pickling the transcript, what the web process pays to hand it to the CPU process on a cold question;
- the index's memory (tracemalloc), for `ASK_INDEXES`.

Prints a Markdown table for docs/ask.md.

`--libraries` compares the BM25 libraries instead (import after numpy and sumy, in a fresh interpreter;
index and query of the 3.5-hour video's groups, same stems): rank-bm25 (the one kept) against bm25s,
installed aside first: `.venv/bin/pip install --no-deps --target /tmp/bm25s bm25s==0.3.16`, then
`PYTHONPATH=/tmp/bm25s .venv/bin/python benchmarks/ask.py --libraries`.
"""

from __future__ import annotations

import asyncio
import pickle
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import Settings  # noqa: E402
from summarizer.ask import Subject  # noqa: E402
from summarizer.cpu_process import InlineRunner  # noqa: E402
from summarizer.engine import Engine  # noqa: E402
from summarizer.models import Transcript  # noqa: E402
from summarizer.retrieval import VideoIndex, search, terms  # noqa: E402
from summarizer.transcripts.folder import FolderSource  # noqa: E402

TRANSCRIPTS = ROOT / "tests" / "data" / "transcripts"
VIDEOS = {"eMlx5fFNoYc": "26 min", "cdiD-9MMpb0": "3.5 h"}
QUESTIONS = [
    "where does he explain the softmax?",
    "what is the role of the value vectors",
    "how many parameters are there?",
    "what does he say about the data engine and labeling?",
    "is there a message from the creator of the universe?",
    "what about books he recommends",
    "how do transformers use attention heads in parallel?",
    "what are the benchmarks academics should build?",
    "why is self-driving hard",
    "what does he think about humanoid robots and Optimus",
]
COLD_RUNS = 5
WARM_RUNS = 3  # times over all QUESTIONS


def cpu(fn: Callable[[], object]) -> float:
    began = time.process_time()
    fn()
    return time.process_time() - began


def transcript(video_id: str) -> Transcript:
    return FolderSource(str(TRANSCRIPTS)).fetch(video_id, ("en",))


async def asker_warm(video_id: str) -> list[float]:
    """CPU of whole warm questions through the engine's Asker (inline runner: both processes' share)."""
    settings = Settings(_env_file=None, transcript_dir=str(TRANSCRIPTS), rate_limit="")
    engine = Engine.from_settings(settings, InlineRunner())
    await engine.start()
    try:
        subject = Subject(video_id, engine.languages_for(None))
        await engine.asker.ask(subject, "warm the index up")
        times = []
        for run in range(WARM_RUNS):
            for question in QUESTIONS:
                began = time.process_time()
                await engine.asker.ask(subject, f"{question} ({run})")
                times.append(time.process_time() - began)
        return times
    finally:
        await engine.stop()


def main() -> None:
    from summarizer.extractive import warm_up

    warm_up()  # sumy and numpy: what the CPU process imports when it starts
    began = time.process_time()
    import rank_bm25  # noqa: F401  # what the CPU process imports with its first index

    bm25_import = time.process_time() - began
    print(f"import rank_bm25 (after numpy and sumy): {bm25_import * 1000:.1f} ms CPU\n")
    print(
        "| video | duration | sentences | groups | cold CPU ms (median, max) | warm search CPU ms (median, max) "
        "| warm question CPU ms, Asker (median, max) | pickling the transcript, ms | index MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for video_id, duration in VIDEOS.items():
        video = transcript(video_id)
        cold = [cpu(partial(search, f"cold-{n}", QUESTIONS[n], video, 1)) for n in range(COLD_RUNS)]
        search("warm", QUESTIONS[0], video, 1)
        warm = [cpu(partial(search, "warm", q, None, 1)) for _ in range(WARM_RUNS) for q in QUESTIONS]
        asked = asyncio.run(asker_warm(video_id))
        pickling = statistics.median(cpu(partial(pickle.dumps, video)) for _ in range(5))
        tracemalloc.start()
        index = VideoIndex.of(video)
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        sentences = sum(len(g) for g in index.groups)

        def ms(values: list[float]) -> str:
            return f"{statistics.median(values) * 1000:.1f}, {max(values) * 1000:.1f}"

        print(
            f"| {video_id} | {duration} | {sentences} | {len(index.groups)} | {ms(cold)} | {ms(warm)} "
            f"| {ms(asked)} | {pickling * 1000:.1f} | {size / 2**20:.2f} |"
        )


IMPORT = (
    "import time\nfrom summarizer.extractive import warm_up\nwarm_up()\n"
    "t = time.process_time()\nimport {module}\nprint(time.process_time() - t)\n"
)
INDEXES: dict[str, Callable[[list[list[str]]], Callable[[list[str]], object]]] = {}


def libraries() -> None:
    """Import, index and query CPU of rank-bm25 and bm25s on the 3.5-hour video (median of 5, ms)."""
    from rank_bm25 import BM25Okapi

    def bm25s_index(documents: list[list[str]]) -> Callable[[list[str]], object]:
        import bm25s  # type: ignore[import-not-found]  # installed aside, see the module docstring

        index = bm25s.BM25()
        index.index(documents, show_progress=False)
        scores: Callable[[list[str]], object] = index.get_scores
        return scores

    INDEXES.update({"rank_bm25": lambda docs: BM25Okapi(docs).get_scores, "bm25s": bm25s_index})
    groups = VideoIndex.of(transcript("cdiD-9MMpb0")).groups
    documents = [terms(" ".join(s.text for s in group), "en") for group in groups]
    queries = [terms(q, "en") for q in QUESTIONS]
    print("| library | import ms | index ms | query ms |\n|---|---|---|---|")
    for module, build in INDEXES.items():
        code = IMPORT.format(module=module)
        imports = [float(subprocess.check_output([sys.executable, "-c", code], cwd=ROOT)) for _ in range(5)]
        built = [cpu(partial(build, documents)) for _ in range(5)]
        query = build(documents)
        asked = [cpu(partial(query, q)) for q in queries]
        print(
            f"| {module} | {statistics.median(imports) * 1000:.1f} | {statistics.median(built) * 1000:.1f} "
            f"| {statistics.median(asked) * 1000:.2f} |"
        )


if __name__ == "__main__":
    libraries() if "--libraries" in sys.argv else main()
