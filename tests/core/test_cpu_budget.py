"""Reading the cgroup CPU quota and throttling, on cgroup trees laid out the way the kernel shows them."""

from __future__ import annotations

from pathlib import Path

from core.cpu_budget import Throttling, cpu_limit, limiting_cgroup, throttling
from core.telemetry import ThrottlingCollector


def write(path: Path, text: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    (path / text.split("=")[0]).write_text(text.split("=")[1])


def test_v2_quota_of_own_or_parent_cgroup(tmp_path: Path) -> None:
    write(tmp_path / "render" / "web", "cpu.max=max 100000\n")
    write(tmp_path / "render", "cpu.max=10000 100000\n")
    assert cpu_limit(tmp_path, "0::/render/web\n") == 0.1
    assert cpu_limit(tmp_path, "0::/render\n") == 0.1


def test_v1_quota_and_unlimited(tmp_path: Path) -> None:
    box = tmp_path / "cpu" / "render-sim-1"
    write(box, "cpu.cfs_quota_us=25000\n")
    write(box, "cpu.cfs_period_us=100000\n")
    write(tmp_path / "cpu", "cpu.cfs_quota_us=-1\n")
    write(tmp_path / "cpu", "cpu.cfs_period_us=100000\n")
    assert cpu_limit(tmp_path, "1:cpu:/render-sim-1\n0::/\n") == 0.25
    assert cpu_limit(tmp_path, "1:cpu:/\n0::/\n") is None


def test_no_cgroup_files_means_unlimited(tmp_path: Path) -> None:
    assert cpu_limit(tmp_path, "0::/\n") is None


def test_v2_throttling_is_read_where_the_tightest_quota_is(tmp_path: Path) -> None:
    write(tmp_path / "render" / "web", "cpu.max=max 100000\n")
    write(tmp_path / "render", "cpu.max=10000 100000\n")
    stat = "usage_usec 5000000\nnr_periods 1200\nnr_throttled 300\nthrottled_usec 4500000\nnr_bursts 0\n"
    write(tmp_path / "render", f"cpu.stat={stat}")
    cgroup = limiting_cgroup(tmp_path, "0::/render/web\n")
    assert cgroup == tmp_path / "render"
    assert throttling(cgroup) == Throttling(1200, 300, 4.5)


def test_v1_throttling_time_is_in_nanoseconds(tmp_path: Path) -> None:
    box = tmp_path / "cpu" / "render-sim-1"
    write(box, "cpu.cfs_quota_us=10000\n")
    write(box, "cpu.cfs_period_us=100000\n")
    write(box, "cpu.stat=nr_periods 50\nnr_throttled 20\nthrottled_time 1500000000\n")
    cgroup = limiting_cgroup(tmp_path, "1:cpu:/render-sim-1\n0::/\n")
    assert cgroup == box and throttling(box) == Throttling(50, 20, 1.5)


def test_no_quota_or_no_cpu_stat_means_no_throttling_samples(tmp_path: Path) -> None:
    assert limiting_cgroup(tmp_path, "0::/\n") is None
    assert throttling(tmp_path) is None
    families = list(ThrottlingCollector(tmp_path).collect())
    assert [f.name for f in families] == [
        "ytsum_cgroup_cpu_periods",
        "ytsum_cgroup_cpu_throttled_periods",
        "ytsum_cgroup_cpu_throttled_seconds",
    ]
    assert all(not f.samples for f in families)


def test_the_collector_exports_the_counters(tmp_path: Path) -> None:
    write(tmp_path, "cpu.stat=nr_periods 10\nnr_throttled 4\nthrottled_usec 250000\n")
    values = {f.name: f.samples[0].value for f in ThrottlingCollector(tmp_path).collect()}
    assert values == {
        "ytsum_cgroup_cpu_periods": 10,
        "ytsum_cgroup_cpu_throttled_periods": 4,
        "ytsum_cgroup_cpu_throttled_seconds": 0.25,
    }
