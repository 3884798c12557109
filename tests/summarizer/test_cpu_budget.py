"""Reading the cgroup CPU quota, on cgroup trees laid out the way the kernel shows them."""

from __future__ import annotations

from pathlib import Path

from summarizer.cpu_budget import cpu_limit


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
