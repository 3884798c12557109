"""Turn the samples into docs/benchmarks.md (before, after, ratio, target) and the PNG chart."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.scenarios import UNAVAILABLE, Results


@dataclass(frozen=True)
class Row:
    """One table line: a metric of both targets, and the target the real service should meet."""

    label: str
    metric: str
    unit: str
    limit: float | None = None  # the real service should stay at or below (or above, for `higher`)
    on: str = "median"  # which statistic the limit applies to
    higher: bool = False  # more is better (requests/s)
    before_metric: str | None = None  # when the baseline measures it under another name


SECTIONS: dict[str, list[Row]] = {
    "Cold start (process start → …)": [
        Row("first 200 on /healthz, wall", "cold.healthz_s", "s"),
        Row("first acked Telegram webhook, wall", "cold.ack_s", "s", 5.0, "p99"),
        Row("CPU used by the first ack", "cold.ack_cpu_s", "CPU s", 0.5, "p99"),
    ],
    "Ack latency (a webhook linking a 3-minute video)": [
        Row("Telegram, idle", "ack.telegram.idle_ms", "ms", 50.0, "p99"),
        Row("Discord, idle", "ack.discord.idle_ms", "ms", 50.0, "p99"),
        Row("Telegram, while long videos are summarized", "ack.telegram.busy_ms", "ms", 150.0, "p99"),
        Row("Discord, while long videos are summarized", "ack.discord.busy_ms", "ms", 150.0, "p99"),
    ],
    "Cache hit (GET /v1/summaries/{id} of a finished job)": [
        Row("CPU per request", "cache.cpu_ms", "CPU ms", 2.0),
        Row("requests per second, one client", "cache.rps", "req/s", higher=True),
    ],
    "Summary cost (POST /v1/summaries → done; warm unless said)": [
        Row("first job after start (short video): wall", "summary.first.wall_s", "s"),
        Row("first job after start: CPU", "summary.first.cpu_s", "CPU s"),
        Row("short (3-9 min): CPU per hour of video", "summary.short.cpu_per_h", "CPU s/h", 0.6),
        Row("medium (22-26 min): CPU per hour of video", "summary.medium.cpu_per_h", "CPU s/h", 0.6),
        Row("long (2.3 h, 3.5 h): CPU per hour of video", "summary.long.cpu_per_h", "CPU s/h", 0.6),
        Row("3.5 h ÷ 26 min, CPU per hour (growth with length)", "summary.growth", "x", 1.0),
        Row("short: wall", "summary.short.wall_s", "s"),
        Row("medium: wall", "summary.medium.wall_s", "s"),
        Row("long: wall", "summary.long.wall_s", "s"),
        Row("short: first chunk visible", "summary.short.first_chunk_s", "s", 3.0, "p99"),
        Row("medium: first chunk visible", "summary.medium.first_chunk_s", "s", 3.0, "p99"),
        Row("long: first chunk visible", "summary.long.first_chunk_s", "s", 3.0, "p99"),
    ],
    "Memory (RSS of the service's processes)": [
        Row("idle, after start-up", "memory.idle_mb", "MiB", 100.0),
        Row(
            "peak: 3.5 h video + full queue (baseline: the 3.5 h video)",
            "memory.peak_mb",
            "MiB",
            300.0,
            before_metric="memory.peak_3h5_mb",
        ),
        Row("cgroup peak charge (RSS + page cache), same run", "memory.cgroup_peak_mb", "MiB"),
        Row(
            "burst of QUEUE_MAX REST jobs beside the 3.5 h one: refused",
            "memory.burst_refused",
            "",
            0.0,
            "max",
        ),
    ],
    "Refused or failed requests (every scenario; reasons in the notes)": [
        Row("webhooks and jobs refused, failed or unanswered", "failed", ""),
    ],
    "Flood: 10 x QUEUE_MAX Telegram webhooks, 20 in flight": [
        Row("webhooks sent", "flood.sent", ""),
        Row("acked (200) within the timeout", "flood.acked", "", higher=True),
        Row("ack latency", "flood.ack_ms", "ms", 150.0, "p99"),
        Row("timed out (Telegram would redeliver)", "flood.timed_out", ""),
        Row("answered with an HTTP error or reset (Telegram would redeliver)", "flood.failed", ""),
        Row('refused with a "busy" reply', "flood.refused", ""),
        Row("accepted", "flood.accepted", ""),
        Row("accepted and finished", "flood.finished", ""),
        Row("accepted but lost (not finished)", "flood.lost", "", 0.0, "max"),
        Row("accepted without any reply to the chat", "flood.silent", "", 0.0, "max"),
        Row("OOM kills in the cgroup", "flood.oom_kills", "", 0.0, "max"),
        Row(
            "Discord, same shape (/summarize interactions): ack latency",
            "flood.discord.ack_ms",
            "ms",
            150.0,
            "p99",
        ),
    ],
}


def summarize(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    return {"median": statistics.median(ordered), "p99": p99, "max": ordered[-1], "n": len(ordered)}


def derive(results: Results) -> None:
    """Metrics computed from others: the growth of CPU per hour from 26 min to 3.5 h; the requests
    refused or failed, in all."""
    for target, samples in results.samples.items():
        samples["failed"] = [sum(results.failures[target].values())]
        if samples.get("summary.3h5.cpu_per_h") and samples.get("summary.26m.cpu_per_h"):
            long, medium = (
                statistics.median(samples[k]) for k in ("summary.3h5.cpu_per_h", "summary.26m.cpu_per_h")
            )
            samples["summary.growth"] = [long / medium]


def stats(results: Results, target: str, metric: str) -> dict[str, float] | None:
    values = results.samples.get(target, {}).get(metric)
    return summarize(values) if values else None


def _number(value: float) -> str:
    return f"{value:.0f}" if value == 0 or abs(value) >= 1000 else f"{value:.3g}"


def _cell(s: dict[str, float] | None, missing: str) -> str:
    if s is None:
        return missing
    if s["n"] == 1 or s["median"] == s["p99"]:
        return _number(s["median"])
    return f"{_number(s['median'])} / {_number(s['p99'])}"


def verdict(row: Row, after: dict[str, float] | None) -> str:
    if row.limit is None:
        return ""
    if after is None:
        return "not measured"
    value = after[row.on]
    met = value >= row.limit - 1e-9 if row.higher else value <= row.limit + 1e-9
    if met:
        return "**met**"
    return f"**missed** by {_number(abs(value - row.limit))} {row.unit}".rstrip()


def table(results: Results, rows: list[Row]) -> list[str]:
    lines = [
        "| metric | unit | before (baseline) | after (service) | ratio | target | |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        before = stats(results, "baseline", row.before_metric or row.metric)
        after = stats(results, "real", row.metric)
        ratio = ""
        if before and after and before["median"] and after["median"]:
            value = after["median"] / before["median"] if row.higher else before["median"] / after["median"]
            ratio = f"{value:.3g}x"
        missing = {
            t: UNAVAILABLE if any(row.metric.startswith(u) for u in results.unavailable[t]) else "-"
            for t in ("baseline", "real")
        }
        target = ""
        if row.limit is not None:
            target = f"{'≥' if row.higher else '≤'} {_number(row.limit)} ({row.on})"
        lines.append(
            f"| {row.label} | {row.unit} | {_cell(before, missing['baseline'])} | {_cell(after, missing['real'])} "
            f"| {ratio} | {target} | {verdict(row, after)} |"
        )
    return lines


def markdown(results: Results, header: list[str], chart: Path | None) -> str:
    """The whole docs/benchmarks.md."""
    lines = ["# Benchmarks: before and after at 0.1 CPU", "", *header, ""]
    lines += [
        "Cells are `median / p99` over the repeated runs (one number when they agree or there was one run). "
        "Ratio = before ÷ after of the medians (after ÷ before for higher-is-better rows): above 1 the "
        'service is better. Targets are issue 6\'s, checked on the service ("after").',
        "",
    ]
    if chart is not None:
        lines += [f"![Ack latency and summary time, before and after]({chart.name})", ""]
    for title, rows in SECTIONS.items():
        lines += [f"## {title}", "", *table(results, rows), ""]
    notes = list(results.notes)
    for target, failures in results.failures.items():
        notes += [f"{target}: {count} x {what}" for what, count in failures.most_common()]
    if notes:
        lines += ["## Notes from this run", "", *(f"- {note}" for note in notes), ""]
    return "\n".join(lines) + "\n" + METHOD


METHOD = """## Method

`benchmarks/run.py` starts each service in a cgroup of its own (`benchmarks/cgroup.py`: cgroup v1
`cpu.cfs_quota_us` = 10 ms per 100 ms and `memory.limit_in_bytes` = 512 MiB, or v2 `cpu.max`/`memory.max`),
reads CPU time and throttling from the cgroup and RSS from /proc, and drives it from outside over the
loopback. Telegram and Discord calls of the service go to a local fake (`benchmarks/fakes.py`); Discord
requests are signed with a key made for the run. Transcripts come from `tests/data/transcripts`, copied
under fresh ids so no job is served from a cache. A platform endpoint answering 404 is reported "not available".

- **Cold start**: a new process each time, Telegram and Discord configured; wall time to the first 200 of `/healthz`, then to the 200 of a
  Telegram webhook sent right after it; CPU = the cgroup's CPU time at that moment.
- **Acks**: webhooks linking the 3-minute video, 0.1 s apart (idle), then every 0.25 s while the three long
  videos are summarized (the baseline: while it summarizes the 2.3 h one inside a request).
- **Cache hit**: 3 batches of sequential `GET /v1/summaries/{id}` of a finished job; CPU = cgroup delta / requests.
- **Summary cost**: `POST /v1/summaries` to the `done` event of its SSE stream; CPU = cgroup delta. The first
  job is sent once start-up has settled (the CPU process's start included); warm jobs after it.
- **Memory**: RSS summed over the service's processes (web, CPU process, multiprocessing's tracker), idle after
  start-up before any job (the state after `CPU_PROCESS_IDLE_SECONDS` without work is close: the CPU
  process has ended, multiprocessing's tracker stays), and sampled every 0.25 s with the 3.5 h video
  running and `QUEUE_MAX` jobs waiting.
- **Flood**: 10 x `QUEUE_MAX` Telegram webhooks from distinct chats for distinct videos, 20 in flight, 10 s
  timeout; after the queue drains, every chat not told "busy" must find its video summarized. A method in a
  webhook's answer (`sendMessage`) counts as sent to its chat, as Telegram performs it. Then the same shape
  of Discord `/summarize` interactions on a fresh service.
- **Refused or failed**: every webhook or job answered with an error, timed out or reset is counted (not an
  abort), with the reasons in the notes; a scenario that cannot go on says why there, and the run ends
  with the report.

Without root: `--wrap "systemd-run --user --scope -p CPUQuota=10% -p MemoryMax=512M"` puts each service in
a transient systemd scope with the same budget (CPU then read from /proc); `docker run --cpus=0.1
--memory=512m` gives the same budget to a service run by hand. `--quick` runs fewer repeats; `--smoke`
(unlimited, seconds) is what `tests/benchmarks/test_harness.py` runs.
"""


def chart(results: Results, path: Path) -> bool:
    """Ack latency (p50, p99) and summary wall time, before vs after, log scale; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    acks = [
        ("Telegram idle", "ack.telegram.idle_ms"),
        ("Discord idle", "ack.discord.idle_ms"),
        ("Telegram busy", "ack.telegram.busy_ms"),
        ("Discord busy", "ack.discord.busy_ms"),
    ]
    jobs = [
        ("short", "summary.short.wall_s"),
        ("medium", "summary.medium.wall_s"),
        ("long", "summary.long.wall_s"),
    ]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, items, stat, unit in ((left, acks, "p99", "ms"), (right, jobs, "median", "s")):
        width = 0.38
        for offset, (target, name, color) in enumerate(
            (("baseline", "before", "#c44e52"), ("real", "after", "#4c72b0"))
        ):
            values = [(stats(results, target, metric) or {}).get(stat, math.nan) for _, metric in items]
            xs = [i + (offset - 0.5) * width for i in range(len(items))]
            axis.bar(xs, values, width, label=name, color=color)
        axis.set_xticks(range(len(items)), [label for label, _ in items])
        axis.set_ylabel(unit)
        axis.set_yscale("log")
        axis.legend()
    left.set_title("Webhook ack latency, p99 (ms, log)")
    left.axhline(3000, color="grey", linestyle="--", linewidth=1)
    left.text(-0.4, 3300, "Discord's 3 s limit", color="grey", fontsize=8)
    right.set_title("Summary wall time, median (s, log)")
    figure.suptitle("At 0.1 CPU / 512 MB: baseline (before) vs the service (after)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
