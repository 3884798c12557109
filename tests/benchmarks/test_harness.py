"""The benchmark harness still runs end to end (`--smoke`: unlimited, tiny counts; no timing asserts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_run_writes_the_report(tmp_path: Path) -> None:
    markdown, chart, raw = tmp_path / "benchmarks.md", tmp_path / "benchmarks.png", tmp_path / "samples.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke"]
    command += ["--markdown", str(markdown), "--chart", str(chart), "--json", str(raw)]
    subprocess.run(command, cwd=ROOT, check=True, timeout=180, capture_output=True)

    text = markdown.read_text(encoding="utf-8")
    for section in (
        "## Cold start",
        "## Ack latency",
        "## Cache hit",
        "## Summary cost",
        "## Memory",
        "## Flood",
        "## Refused or failed requests",
    ):
        assert section in text
    assert "| metric | unit | before (baseline) | after (service) | ratio | target | |" in text
    samples = json.loads(raw.read_text(encoding="utf-8"))["samples"]
    for target in ("real", "baseline"):
        assert {"cold.healthz_s", "summary.short.cpu_per_h", "cache.cpu_ms", "memory.idle_mb"} <= set(
            samples[target]
        )
    assert "flood.accepted" in samples["real"] and "flood.discord.ack_ms" in samples["real"]
    assert all(samples[target]["failed"] for target in ("real", "baseline"))  # a count, 0 when none failed
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert chart.read_bytes().startswith(b"\x89PNG")
