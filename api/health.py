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
    """What the service depends on and what is degraded (a full queue refuses new work)."""
    queue = request.app.state.engine.queue
    degraded = ["queue_full"] if queue.full else []
    return {
        "status": "degraded" if degraded else "ok",
        "degraded": degraded,
        "queue": {"waiting": queue.waiting, "running": queue.running, "max": queue.maxsize},
    }
