"""How much CPU this process may use: the CPU quota of its cgroup (what Render's 0.1 CPU is), and how
often that quota throttled it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True, slots=True)
class Throttling:
    """Totals since the cgroup was made, from its `cpu.stat`."""

    periods: int  # enforcement periods (100 ms each by default) in which the cgroup was runnable
    throttled_periods: int  # periods in which it used up its quota and had to wait
    throttled_seconds: float  # time its tasks spent waiting for the next period


def _cgroup_paths(proc_cgroup: str) -> tuple[str | None, str | None]:
    """(v2 path, v1 cpu-controller path) of this process, from /proc/self/cgroup."""
    v2 = v1 = None
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            v2 = path
        elif "cpu" in controllers.split(","):
            v1 = path
    return v2, v1


def _quota_v1(directory: Path) -> float | None:
    try:
        quota = int((directory / "cpu.cfs_quota_us").read_text())
        period = int((directory / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 else None


def _quota_v2(directory: Path) -> float | None:
    try:
        quota, period = (directory / "cpu.max").read_text().split()
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _quotas(root: Path, proc_cgroup: str | None) -> list[tuple[float, Path]]:
    """(cores, cgroup directory) of every CPU quota from this process's cgroup up to the root (v2 or v1)."""
    if proc_cgroup is None:
        try:
            proc_cgroup = Path("/proc/self/cgroup").read_text()
        except OSError:
            return []
    v2, v1 = _cgroup_paths(proc_cgroup)
    candidates: list[tuple[Path, str | None]] = [(root, v2), (root / "cpu", v1), (root / "cpu,cpuacct", v1)]
    quotas: list[tuple[float, Path]] = []
    for base, path in candidates:
        if path is None or not base.is_dir():
            continue
        read = _quota_v2 if base == root else _quota_v1
        directory = base / path.strip("/")
        while True:
            if (limit := read(directory)) is not None:
                quotas.append((limit, directory))
            if directory == base:
                break
            directory = directory.parent
    return quotas


def cpu_limit(root: Path = CGROUP_ROOT, proc_cgroup: str | None = None) -> float | None:
    """CPU cores this process may use (0.1 on Render's free tier), or None when unlimited.

    The tightest quota of its cgroup and the cgroups above it counts (cgroup v2 or v1).
    """
    return min(_quotas(root, proc_cgroup), default=(None, None))[0]


def limiting_cgroup(root: Path = CGROUP_ROOT, proc_cgroup: str | None = None) -> Path | None:
    """The cgroup directory whose quota is the tightest (its `cpu.stat` counts the throttling), or None."""
    return min(_quotas(root, proc_cgroup), default=(None, None))[1]


def throttling(directory: Path) -> Throttling | None:
    """The throttling totals in `directory/cpu.stat` (v2: `throttled_usec`, v1: `throttled_time` in ns)."""
    try:
        fields = dict(line.split() for line in (directory / "cpu.stat").read_text().splitlines())
        if "throttled_usec" in fields:
            seconds = int(fields["throttled_usec"]) / 1e6
        else:
            seconds = int(fields["throttled_time"]) / 1e9
        return Throttling(int(fields["nr_periods"]), int(fields["nr_throttled"]), seconds)
    except (OSError, ValueError, KeyError):
        return None
