"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Cheap liveness: the process answers HTTP."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, object]:
    """What the service depends on and what is degraded (a full queue refuses new work; without
    Redis the cache works from this instance's memory)."""
    engine = request.app.state.engine
    queue = engine.queue
    await engine.cache.check()
    degraded = [
        name
        for name, bad in (
            ("queue_full", queue.full),
            ("youtube_circuit_open", engine.youtube.open),
            ("redis", engine.cache.degraded),
        )
        if bad
    ]
    return {
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "queue": {"waiting": queue.waiting, "running": queue.running, "max": queue.maxsize},
    }
