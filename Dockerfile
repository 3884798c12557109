# The service for hosts other than Render (render.yaml is the Render deployment; docs/deploy.md).
#   docker build -t yt-summary-bot .
#   docker run --rm -p 8000:8000 --cpus=0.1 --memory=512m --env-file .env yt-summary-bot   # Render's free budget
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000

WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes. pip compiles their bytecode.
COPY requirements.txt .
RUN pip install --no-cache-dir --root-user-action=ignore -r requirements.txt

# Our code, compiled ahead of time: the (read-only, root-owned) code never needs compiling at start-up.
COPY api/ api/
COPY bot/ bot/
COPY core/ core/
COPY handlers/ handlers/
COPY summarizer/ summarizer/
RUN python -m compileall -q --invalidation-mode unchecked-hash api bot core handlers summarizer

# Run as an unprivileged user that owns nothing in the image.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
USER app

EXPOSE 8000

# Liveness once a minute, not more: each check starts a Python (~0.08 CPU s, `/usr/bin/time python3 -c
# "import os, urllib.request"`), about 0.8 s of a 0.1-CPU budget.
HEALTHCHECK --interval=60s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz\", timeout=4)"]

# The same server options as render.yaml's startCommand (explained there). PORT is respected; set
# FORWARDED_ALLOW_IPS to your proxy's address when clients can reach the container directly (with "*" any
# client could claim another IP in X-Forwarded-For and dodge the per-client limits).
CMD ["sh", "-c", "exec uvicorn api.main:app --host 0.0.0.0 --port \"${PORT:-8000}\" --workers 1 --loop uvloop --http api.request_deadline:RequestDeadlineProtocol --no-proxy-headers --no-access-log --timeout-graceful-shutdown 20"]
