"""What importing a module costs on top of the service's own start-up: CPU and resident memory.

    .venv/bin/python benchmarks/imports.py bot.telegram nacl.signing httpx   # after `import api.main`
    .venv/bin/python benchmarks/imports.py --base '' api.main                # the app itself, from nothing

Each module is imported in a fresh interpreter (median of `--runs`, CPU from `time.process_time`, memory
from VmRSS), on a whole core: at Render's 0.1 CPU the wall time is ten times the CPU time. The figures in
comments about deferred imports come from here.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import importlib, sys, time
def rss_kib():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0])
if sys.argv[1]:
    importlib.import_module(sys.argv[1])
rss, cpu = rss_kib(), time.process_time()
importlib.import_module(sys.argv[2])
print(time.process_time() - cpu, rss_kib() - rss)
"""


def measure(base: str, module: str, runs: int) -> tuple[float, float]:
    """Median CPU seconds and MiB of RSS that importing `module` adds after `base`."""
    cpu, rss = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE, base, module], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout.split()
        cpu.append(float(out[0]))
        rss.append(int(out[1]) / 1024)
    return statistics.median(cpu), statistics.median(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="+")
    parser.add_argument("--base", default="api.main", help="imported first, not counted ('' for nothing)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for module in args.modules:
        cpu, rss = measure(args.base, module, args.runs)
        print(f"{module:30} {cpu * 1000:7.1f} ms CPU  {rss:6.1f} MiB RSS  (after {args.base or 'nothing'})")


if __name__ == "__main__":
    main()
