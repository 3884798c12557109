"""Our modules' regular expressions: which ones the web process compiles, and what the deferred ones cost.

    .venv/bin/python benchmarks/regexes.py [--runs 5]

- Compiled by the web process: the patterns each of our modules compiles during `import api.main` (before
  the port opens), then during `import summarizer.outline` (what the warm-up, api/warmup.py, and the
  first job import); how many, and their CPU.
- Deferred (core/lazy.py `lazy_regex`, compiled at the first use, in the CPU process): per module, the
  CPU of compiling them after `import api.main` and `import summarizer.outline` (a pattern the app compiled
  already costs nothing), what the web process would pay if they were compiled at import.

Each figure is the best of `--runs` fresh interpreters, CPU from `time.process_time` on a whole core: at
Render's 0.1 CPU the wall time is ten times as long. The figures in comments on `lazy_regex` come from here.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import importlib, json, re, sys, time
OURS = ("api", "bot", "core", "handlers", "summarizer")
phase, seen = "import api.main", {}
compile_pattern = re._compiler.compile

def timed(pattern, flags=0):
    frame = sys._getframe(1)
    while frame.f_globals.get("__name__", "").split(".")[0] == "re":
        frame = frame.f_back
    start = time.process_time()
    compiled = compile_pattern(pattern, flags)
    name = frame.f_globals.get("__name__", "")
    if name.split(".")[0] in OURS:
        count, cpu = seen.setdefault(phase, {}).get(name, (0, 0.0))
        seen[phase][name] = (count + 1, cpu + time.process_time() - start)
    return compiled

re._compiler.compile = timed
import api.main
phase = "import summarizer.outline"
import summarizer.outline
phase = "lazy_regex"
for name, module in sorted(sys.modules.items()):
    if name.split(".")[0] not in OURS or module is None:
        continue
    values = list(vars(module).values())
    values += [value for table in values if isinstance(table, dict) for value in table.values()]
    lazy = [v for v in values if getattr(getattr(v, "__wrapped__", None), "__qualname__", "") == "lazy_regex.<locals>.compiled"]
    start = time.process_time()
    for compiled in lazy:
        compiled()
    if lazy:
        seen.setdefault("deferred", {})[name] = (len(lazy), time.process_time() - start)
print(json.dumps({phase: seen.get(phase, {}) for phase in ("import api.main", "import summarizer.outline", "deferred")}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    best: dict[str, dict[str, tuple[int, float]]] = {}
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout
        for phase, modules in json.loads(out.splitlines()[-1]).items():
            for module, (count, cpu) in modules.items():
                kept = best.setdefault(phase, {}).get(module)
                best[phase][module] = (count, cpu if kept is None else min(cpu, kept[1]))
    for phase in ("import api.main", "import summarizer.outline", "deferred"):
        modules = best.get(phase, {})
        count, cpu = sum(c for c, _ in modules.values()), sum(ms for _, ms in modules.values())
        title = (
            f"compiled by {phase}" if phase != "deferred" else "deferred (lazy_regex), compiled at first use"
        )
        print(f"{title}: {count} patterns, {cpu * 1000:.1f} ms CPU")
        for module, (count, cpu) in sorted(modules.items(), key=lambda item: -item[1][1]):
            print(f"  {module:32} {count:3} {cpu * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
