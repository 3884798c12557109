"""api/monitor.py's shedding policy with injected lag samples: sustained lag refuses work, one spike never."""

from __future__ import annotations

from api.monitor import SUSTAINED_SAMPLES, Monitor, sustained_lag


def test_one_spike_is_not_overload() -> None:
    assert sustained_lag([0.0, 3.5, 0.0], 0.5, 3) is None
    assert sustained_lag([3.5], 0.5, 3) is None  # too few samples to call it sustained
    assert sustained_lag([0.6, 0.7, 0.4], 0.5, 3) is None


def test_several_lagging_samples_in_a_row_are() -> None:
    reason = sustained_lag([0.0, 0.6, 0.9, 1.2], 0.5, 3)
    assert reason is not None and "3 samples" in reason and "1.20 s" in reason


def test_the_monitor_keeps_the_last_samples() -> None:
    monitor = Monitor(None)
    for lag in (2.0,) * (SUSTAINED_SAMPLES - 1):
        monitor.record(lag)
        assert monitor.overload(0.5) is None
    monitor.record(2.0)
    assert monitor.overload(0.5) is not None
    monitor.record(0.0)  # the loop caught up: new work is taken again
    assert monitor.overload(0.5) is None and monitor.lag == 0.0
