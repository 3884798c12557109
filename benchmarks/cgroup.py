"""Run a process under render.com's free-tier budget (0.1 CPU, 512 MB) and read what it used.

`Cgroup` makes a cgroup itself (root only), the way `../shared/tools/render-sim` does: cgroup v1
(`cpu.cfs_quota_us` per `cpu.cfs_period_us`, `memory.limit_in_bytes`) or v2 (`cpu.max`, `memory.max`).
The process joins it before it executes (`preexec`), so nothing of it runs unlimited. Only that process
and its children are limited; the load generator stays outside.

Without root the same budget comes from systemd (the command joins a transient scope and then runs):

    systemd-run --user --scope -p CPUQuota=10% -p MemoryMax=512M COMMAND
    docker run --cpus=0.1 --memory=512m IMAGE COMMAND   # the same budget in a container

`ProcessTree` reads CPU time and memory from /proc for a process and its descendants; the harness uses
it for memory always, and for CPU when there is no cgroup of its own (`--no-cgroup`, `--wrap`).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Throttling:
    """How often the CPU quota stopped the cgroup: periods throttled of periods run, seconds waited."""

    throttled: int
    periods: int
    seconds: float


class Cgroup:
    """A cgroup with a CPU quota and a memory limit, made on `create()` and removed on `remove()`."""

    def __init__(self, name: str, cpu: float = 0.1, memory_mb: int = 512) -> None:
        self.name, self.cpu, self.memory = name, cpu, memory_mb * 1024 * 1024
        self.v2 = not (ROOT / "cpu" / "cpu.cfs_quota_us").exists()
        if self.v2:
            self.dirs = {"all": ROOT / name}
        else:
            self.dirs = {c: ROOT / c / name for c in ("cpu", "cpuacct", "memory")}

    @staticmethod
    def available() -> bool:
        """Whether this process may make cgroups with a CPU controller here (root, v1 or delegated v2)."""
        v1 = ROOT / "cpu" / "cpu.cfs_quota_us"
        target = v1.parent if v1.exists() else ROOT
        has_cpu = v1.exists() or "cpu" in (ROOT / "cgroup.controllers").read_text(errors="ignore").split()
        return has_cpu and os.access(target, os.W_OK)

    def create(self) -> None:
        quota = max(1000, int(self.cpu * PERIOD_US))
        if self.v2:
            (ROOT / "cgroup.subtree_control").write_text("+cpu +memory")
            group = self.dirs["all"]
            group.mkdir()
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            (group / "memory.max").write_text(str(self.memory))
            return
        for directory in self.dirs.values():
            directory.mkdir()
        (self.dirs["cpu"] / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (self.dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(quota))
        (self.dirs["memory"] / "memory.limit_in_bytes").write_text(str(self.memory))

    def join(self) -> None:
        """Move the calling process in (used as `preexec_fn`, in the child before it executes)."""
        for directory in self.dirs.values():
            (directory / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> list[int]:
        """The processes still in the cgroup."""
        directory = next(iter(self.dirs.values()))
        return [int(p) for p in (directory / "cgroup.procs").read_text().split()]

    def remove(self) -> None:
        for directory in self.dirs.values():
            with contextlib.suppress(OSError):
                directory.rmdir()

    def _file(self, controller: str, name: str) -> Path:
        return self.dirs["all" if self.v2 else controller] / name

    def _stat(self, controller: str, name: str) -> dict[str, int]:
        lines = self._file(controller, name).read_text().split("\n")
        return {k: int(v) for k, v in (line.split() for line in lines if line.strip())}

    def cpu_seconds(self) -> float:
        """CPU time used by everything in the cgroup so far."""
        if self.v2:
            return self._stat("cpu", "cpu.stat")["usage_usec"] / 1e6
        return int(self._file("cpuacct", "cpuacct.usage").read_text()) / 1e9

    def throttling(self) -> Throttling:
        stat = self._stat("cpu", "cpu.stat")
        seconds = stat["throttled_usec"] / 1e6 if self.v2 else stat["throttled_time"] / 1e9
        return Throttling(stat["nr_throttled"], stat["nr_periods"], seconds)

    def peak_mb(self) -> float:
        """The cgroup's peak memory charge (RSS plus page cache and kernel memory)."""
        name = "memory.peak" if self.v2 else "memory.max_usage_in_bytes"
        return int(self._file("memory", name).read_text()) / 1024 / 1024

    def oom_kills(self) -> int:
        stat = self._stat("memory", "memory.events" if self.v2 else "memory.oom_control")
        return stat.get("oom_kill", 0)


class ProcessTree:
    """CPU time and memory of a process and its descendants, from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def pids(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    ppid = int(_stat_fields(int(entry.name))[1])
                except (OSError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def cpu_seconds(self) -> float:
        """User + system time of the live processes, plus what their finished children used."""
        total = 0
        for pid in self.pids():
            try:
                fields = _stat_fields(pid)
            except OSError:
                continue
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        return total / TICKS

    def memory_mb(self) -> tuple[float, float]:
        """(RSS now, sum of each process's peak RSS) of the tree, in MiB."""
        rss = peak = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    peak += int(line.split()[1])
        return rss / 1024, peak / 1024


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (so index 1 is the parent, 11 to 14 the times)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()
