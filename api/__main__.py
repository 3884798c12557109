"""`python -m api`: run the service with uvicorn on `HOST`/`PORT` (0.0.0.0 on Render)."""

import os

import uvicorn

from core.config import get_settings

settings = get_settings()
host = "0.0.0.0" if os.environ.get("RENDER") and "HOST" not in os.environ else settings.host
# The app reads X-Forwarded-For itself (api/client_address.py); request headers and bodies have deadlines
# (api/request_deadline.py), as with render.yaml's start command.
uvicorn.run(
    "api.main:app",
    host=host,
    port=settings.port,
    workers=1,
    proxy_headers=False,
    http="api.request_deadline:RequestDeadlineProtocol",
)
