"""CPU per summary and tokens per hour of video: the LLM path (against a local fake provider) vs extractive.

Run from the project root: `.venv/bin/python benchmarks/llm_cpu.py`. The fake OpenAI-compatible server
(tests/support/fake_llm.py) runs in a child process, so `time.process_time()` here counts only this process:
the engine (inline runner, as the CLI runs it) building prompts, streaming and parsing answers, or ranking
sentences. Prompt tokens are the fake's count, characters / 4 (about what a real tokenizer gives for English);
completion tokens are given as the cap the requests set (`max_tokens`), what the fake writes says nothing
about a real model. Prints a Markdown table for docs/llm.md.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.config import Settings  # noqa: E402
from summarizer.abstractive import TITLE_TOKENS, TLDR_TOKENS, TOKENS_PER_POINT  # noqa: E402
from summarizer.cpu_process import InlineRunner  # noqa: E402
from summarizer.engine import Engine  # noqa: E402
from summarizer.outline import outline  # noqa: E402

TRANSCRIPTS = ROOT / "tests" / "data" / "transcripts"
LONG = ("3zu317upAUA", "FtriFMxsOWw", "cdiD-9MMpb0")
FAKE = (
    "import asyncio\n"
    "from tests.support.fake_llm import FakeLLM\n"
    "async def main():\n"
    "    async with FakeLLM().running() as fake:\n"
    "        print(fake.url, flush=True)\n"
    "        await asyncio.Event().wait()\n"
    "asyncio.run(main())\n"
)


async def measure(url: str, video_id: str, summarizer: str) -> tuple[float, float, dict[str, int]]:
    """(CPU seconds of one summary, video hours, the client's usage counter plus `completion_cap`)."""
    settings = Settings(
        _env_file=None, transcript_dir=str(TRANSCRIPTS), llm_base_url=url, llm_model="fake", summary_ttl=1
    )
    engine = Engine.from_settings(settings, InlineRunner())
    await engine.start()
    try:
        transcript = await engine._transcript(video_id, ("en", "fr"), None)  # read once, outside the timing
        began = time.process_time()
        job, _ = await engine.submit(video_id, transcript=transcript, summarizer=summarizer)
        async for _ in job.changes():
            pass
        cpu = time.process_time() - began
        assert job.error is None, job.error
        llm = engine.llm
        assert llm is not None
        chunks = outline(transcript, settings.max_video_seconds, llm.chunk_words).chunks
        cap = (
            sum(llm.points_for(c) for c in chunks) * TOKENS_PER_POINT
            + len(chunks) * TITLE_TOKENS
            + TLDR_TOKENS
        )
        return cpu, transcript.duration / 3600, {**llm.client.usage, "completion_cap": cap}
    finally:
        await engine.stop()


async def table(url: str) -> None:
    await measure(url, LONG[0], "extractive")  # warm-up: sumy imports, language tools
    print("| video | hours | extractive CPU s | LLM CPU s | LLM calls | prompt tokens/h | completion cap/h |")
    print("|---|---|---|---|---|---|---|")
    for video_id in LONG:
        extractive, hours, _ = await measure(url, video_id, "extractive")
        llm, _, usage = await measure(url, video_id, "llm")
        print(
            f"| {video_id} | {hours:.2f} | {extractive:.3f} | {llm:.3f} | {usage['requests']} "
            f"| {usage['prompt_tokens'] / hours:,.0f} | {usage['completion_cap'] / hours:,.0f} |"
        )


def main() -> None:
    fake = subprocess.Popen([sys.executable, "-c", FAKE], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None
        asyncio.run(table(fake.stdout.readline().strip()))
    finally:
        fake.terminate()
        fake.wait()


if __name__ == "__main__":
    main()
