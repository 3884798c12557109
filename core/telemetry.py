"""The service's Prometheus metrics: the metric objects, their registry, the cgroup throttling collector.

Here, in the bottom package (`core`), so the engine and the platform clients count their own work
without importing `api`. docs/operations.md explains each one.

Costs, measured on one core: after FastAPI's own imports, `import prometheus_client` takes 24 ms of CPU
and this module with its metrics 29 ms in all (`benchmarks/imports.py --base fastapi prometheus_client
core.telemetry`, median of 5): ~0.3 s of wall time at 0.1 CPU, once per start. `Counter.inc()` 0.3 µs,
`.labels(x).inc()` 1 µs, `Histogram.observe()` 0.6 µs; a whole scrape (`generate_latest`, ~170 lines,
9 KB) 0.6 ms.

One `CollectorRegistry` of our own rather than the global default: it holds exactly the families
docs/operations.md lists (the default also carries GC and platform collectors and anything a library
registers there). It is per process, like a Prometheus target: several apps in one process (the tests)
share the counters, and each scrape sets the state gauges from the app being scraped.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from core.cpu_budget import limiting_cgroup, throttling

# No `*_created` series: half the exposition, nothing an alert needs (the function has no annotations).
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry()
# process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds, ... (Linux)
PROCESS = ProcessCollector(registry=REGISTRY)

# Buckets in seconds. Acks: Discord gives up after 3 s. Chunks and jobs at 0.1 CPU: seconds to minutes.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
CHUNK_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
JOB_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0)
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

QUEUE_JOBS = Gauge(
    "ytsum_queue_jobs", "Jobs in the queue by state (waiting, running).", ["state"], registry=REGISTRY
)
QUEUE_CAPACITY = Gauge("ytsum_queue_capacity", "Most jobs that may wait (QUEUE_MAX).", registry=REGISTRY)
JOBS = Counter(
    "ytsum_jobs", "Jobs run to their end, by outcome: done or the error code.", ["outcome"], registry=REGISTRY
)
JOBS_HANDED_OFF = Counter(
    "ytsum_jobs_handed_off",
    "Jobs YouTube refused here, handed to the workers of a lane (residential), by outcome: handed, taken "
    "(a worker of the lane took one), expired (none did in time).",
    ["lane", "outcome"],
    registry=REGISTRY,
)
JOBS_REFUSED = Counter(
    "ytsum_jobs_refused",
    "Summary requests refused before queuing (busy: queue full; rate_limited).",
    ["reason"],
    registry=REGISTRY,
)
ASKS = Counter(
    "ytsum_asks",
    "Questions about videos (POST /v1/ask, /ask), by outcome: cached (the answer was), warm (the video's "
    "index was kept), cold (built first), or the error code.",
    ["outcome"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "ytsum_job_seconds",
    "Wall time of a job from start to end, by status (done, failed).",
    ["status"],
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
CHUNK_SECONDS = Histogram(
    "ytsum_chunk_seconds",
    "Wall time to summarize one chunk (in the CPU process, pacing included; or by the chat model).",
    buckets=CHUNK_BUCKETS,
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "ytsum_cache_lookups",
    "Cache lookups by kind (summary, transcript, failure) and result (hit, miss).",
    ["kind", "result"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "ytsum_ack_seconds",
    "Time from a request's arrival to its response headers, by platform (rest, telegram, discord).",
    ["platform"],
    buckets=ACK_BUCKETS,
    registry=REGISTRY,
)
OUTBOUND = Counter(
    "ytsum_outbound_requests",
    "HTTP requests made to other services, by platform (telegram, discord, youtube, supadata, callback, llm).",
    ["platform"],
    registry=REGISTRY,
)
OUTBOUND_ERRORS = Counter(
    "ytsum_outbound_errors",
    "Outbound requests that failed (network error or a non-2xx answer, 429s included), by platform.",
    ["platform"],
    registry=REGISTRY,
)
OUTBOUND_RATE_LIMITED = Counter(
    "ytsum_outbound_rate_limited",
    "Outbound requests answered 429 Too Many Requests, by platform.",
    ["platform"],
    registry=REGISTRY,
)
LLM_REQUESTS = Counter(
    "ytsum_llm_requests",
    "Requests to the chat model by outcome: ok, retried (failed, then tried again), failed (given up).",
    ["outcome"],
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "ytsum_llm_tokens",
    "Tokens the chat model's provider reported using, by kind (prompt, completion).",
    ["kind"],
    registry=REGISTRY,
)
YOUTUBE_ERRORS = Counter(
    "ytsum_youtube_errors",
    "Transcript fetches from YouTube that failed, by error code (blocked, video_unavailable, ...).",
    ["code"],
    registry=REGISTRY,
)
TRANSCRIPT_FETCHES = Counter(
    "ytsum_transcript_fetches",
    "Transcript requests to each provider (youtube, supadata, folder) by outcome: ok, skipped (its circuit "
    "is open) or the error code (blocked, provider_unavailable, no_transcript, ...).",
    ["provider", "outcome"],
    registry=REGISTRY,
)
DISCORD_TOKENS_EXPIRED = Counter(
    "ytsum_discord_tokens_expired",
    "Discord jobs that outlived their 15-minute interaction token: edits stopped, the result stays in REST.",
    registry=REGISTRY,
)
LOOP_LAG = Histogram(
    "ytsum_event_loop_lag_seconds",
    "How late the event loop woke a 1-second sleep (time the loop was busy or the CPU throttled).",
    buckets=LAG_BUCKETS,
    registry=REGISTRY,
)
DEGRADED = Gauge(
    "ytsum_degraded",
    "1 while this part is degraded, as GET /readyz reports it (redis, youtube_circuit_open, queue_full, "
    "event_loop_lag, cpu_throttled).",
    ["reason"],
    registry=REGISTRY,
)
PLATFORMS = ("rest", "telegram", "discord")
OUTBOUND_PLATFORMS = ("telegram", "discord", "youtube", "supadata", "callback", "llm")
CACHE_KINDS = ("summary", "transcript", "failure")

# Label values known ahead are exported from the start (as 0), so rates and alerts work from the first scrape.
for _platform in PLATFORMS:
    ACK_SECONDS.labels(_platform)
for _platform in OUTBOUND_PLATFORMS:
    for _family in (OUTBOUND, OUTBOUND_ERRORS, OUTBOUND_RATE_LIMITED):
        _family.labels(_platform)
for _kind in CACHE_KINDS:
    for _result in ("hit", "miss"):
        CACHE_LOOKUPS.labels(_kind, _result)
for _outcome in ("ok", "retried", "failed"):
    LLM_REQUESTS.labels(_outcome)
for _kind in ("prompt", "completion"):
    LLM_TOKENS.labels(_kind)
JOBS.labels("done")
for _status in ("done", "failed"):
    JOB_SECONDS.labels(_status)
for _reason in ("busy", "rate_limited"):
    JOBS_REFUSED.labels(_reason)
for _outcome in ("cached", "warm", "cold"):
    ASKS.labels(_outcome)


def cache_lookup(kind: str, value: object) -> None:
    """Count one cache lookup of `kind` that found `value` (None = a miss)."""
    CACHE_LOOKUPS.labels(kind, "miss" if value is None else "hit").inc()


@cache
def own_cgroup() -> Path | None:
    """The cgroup whose quota limits this process (looked up once: it does not change)."""
    return limiting_cgroup()


class ThrottlingCollector(Collector):
    """Reads the limiting cgroup's `cpu.stat` at each scrape (15 µs); no samples without a CPU quota."""

    def __init__(self, cgroup: Path | None = None) -> None:
        self._cgroup = cgroup

    def collect(self) -> Iterator[CounterMetricFamily]:
        cgroup = self._cgroup or own_cgroup()
        stats = throttling(cgroup) if cgroup else None
        families = (
            ("ytsum_cgroup_cpu_periods", "CPU quota enforcement periods of the cgroup.", "periods"),
            (
                "ytsum_cgroup_cpu_throttled_periods",
                "Periods in which the cgroup used up its CPU quota and was throttled.",
                "throttled_periods",
            ),
            (
                "ytsum_cgroup_cpu_throttled_seconds",
                "Time the cgroup's tasks waited, throttled, for the next period.",
                "throttled_seconds",
            ),
        )
        for name, documentation, field in families:
            family = CounterMetricFamily(name, documentation)
            if stats is not None:
                family.add_metric([], getattr(stats, field))
            yield family


REGISTRY.register(ThrottlingCollector())
