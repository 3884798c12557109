"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Services, ServicesDep, SettingsDep
from core.config import Settings

router = APIRouter(tags=["health"])


async def checks(services: Services, settings: Settings) -> dict[str, bool]:
    """What is degraded now, by name (also exported as `ytsum_degraded{reason}` by /metrics)."""
    engine, monitor = services.engine, services.monitor
    await engine.cache.check()
    queue = await engine.queue_state()
    circuits = {f"{name}_circuit_open": b.open for name, b in engine.transcripts.breakers.items()}
    return {
        "queue_full": queue["waiting"] >= queue["max"],
        **circuits,  # youtube_circuit_open, supadata_circuit_open: a provider not asked for a while
        "redis": engine.cache.degraded,
        "event_loop_lag": monitor.lag > settings.readyz_max_loop_lag,
        "cpu_throttled": monitor.throttled > settings.readyz_max_throttled,
    }


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Cheap liveness: the process answers HTTP."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep, settings: SettingsDep) -> dict[str, object]:
    """What the service depends on and what is degraded (a full queue refuses new work; without
    Redis the cache works from this instance's memory; a lagging event loop or a throttled CPU slows
    every answer)."""
    degraded = [name for name, bad in (await checks(services, settings)).items() if bad]
    monitor = services.monitor
    return {
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "queue": await services.engine.queue_state(),
        "event_loop_lag_seconds": round(monitor.lag, 4),
        "cpu_throttled_ratio": round(monitor.throttled, 4),
    }
