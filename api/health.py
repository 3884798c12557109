"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request

from api.settings import Settings, get_settings

router = APIRouter(tags=["health"])


async def checks(app: FastAPI, settings: Settings) -> dict[str, bool]:
    """What is degraded now, by name (also exported as `ytsum_degraded{reason}` by /metrics)."""
    engine, monitor = app.state.engine, app.state.monitor
    await engine.cache.check()
    queue = await engine.queue_state()
    return {
        "queue_full": queue["waiting"] >= queue["max"],
        "youtube_circuit_open": engine.youtube.open,
        "redis": engine.cache.degraded,
        "event_loop_lag": monitor.lag > settings.readyz_max_loop_lag,
        "cpu_throttled": monitor.throttled > settings.readyz_max_throttled,
    }


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Cheap liveness: the process answers HTTP."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> dict[str, object]:
    """What the service depends on and what is degraded (a full queue refuses new work; without
    Redis the cache works from this instance's memory; a lagging event loop or a throttled CPU slows
    every answer)."""
    degraded = [name for name, bad in (await checks(request.app, settings)).items() if bad]
    monitor = request.app.state.monitor
    return {
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "queue": await request.app.state.engine.queue_state(),
        "event_loop_lag_seconds": round(monitor.lag, 4),
        "cpu_throttled_ratio": round(monitor.throttled, 4),
    }
