"""The pages for people: `/` (paste a link or drop a subtitle file, watch the summary fill in), `/s/{job_id}`
(one summary, readable and shareable) and `/status` (the service's state at a glance, from `GET /v1/state`:
api/state.py).

The three pages are one static shell (api/static/index.html) with one script and one stylesheet; the
script picks the view from the path. This module is imported on the first page request (api/main.py), not
with the app, and the files are read, hashed and gzipped then, and kept as bytes (38 KiB, 12.5 KiB gzipped);
every later view is answered from memory, or `304 Not Modified` when the browser's copy is current. The
script and stylesheet URLs carry their content hash, so browsers keep them a year (`immutable`): a new
version is a new URL. `/s/{id}` carries its job inside the shell (a JSON data block), so a view is one
request: measured in docs/page.md (`benchmarks/page_cpu.py`) against a poll of the same summary.

Reading a summary needs no API key: its id (96 random bits, `secrets.token_urlsafe(12)`) is the
capability, as it is for the chat where the same summary is shown. `API_KEY` guards creating summaries
(`POST /v1/summaries`), the costly act; the key-less reads leave out the job's `callbacks` (the
submitter's URLs). docs/page.md has what each page shows.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.deps import Services
from api.errors import error_response
from api.summaries import event_stream
from summarizer.jobs import Job
from summarizer.subtitles import job_resource

STATIC = Path(__file__).with_name("static")
HTML = "text/html; charset=utf-8"
ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
# The shell loads only its own script and stylesheet and talks only to this service: no other host.
SHELL_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # A summary's address is its key: it is not sent to YouTube when a timestamp is followed.
    "Referrer-Policy": "no-referrer",
}
YEAR = 365 * 24 * 3600
JOB_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


# --- the static files -----------------------------------------------------------------------------------


class File:
    """One static file as served: its bytes, gzipped when that is smaller, its version and type.

    (Plain classes here, not dataclasses: making a dataclass costs ~1 ms of CPU at import.)"""

    __slots__ = ("body", "gzipped", "media_type", "version")

    def __init__(self, body: bytes, gzipped: bytes | None, version: str, media_type: str) -> None:
        self.body = body
        self.gzipped = gzipped
        self.version = version  # the start of its SHA-256: the ETag and the `?v=` of its URL
        self.media_type = media_type


def _file(body: bytes, media_type: str) -> File:
    import gzip
    import hashlib

    packed = gzip.compress(body, 9, mtime=0)
    version = hashlib.sha256(body).hexdigest()[:16]
    return File(body, packed if len(packed) < len(body) else None, version, media_type)


@cache
def files() -> dict[str, File]:
    """The shell, script and stylesheet, read once (the first page view), the shell pointing at the
    others' current versions (`{{app.js}}` in index.html becomes that file's version)."""
    served = {name: _file((STATIC / name).read_bytes(), media_type) for name, media_type in ASSETS.items()}
    shell = (STATIC / "index.html").read_bytes()
    for name, served_file in served.items():
        shell = shell.replace(b"{{" + name.encode() + b"}}", served_file.version.encode())
    served["index.html"] = _file(shell, HTML)
    return served


def send(
    request: Request,
    served: File,
    cache_control: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """`served` (gzipped when the browser takes it), or 304 when the browser has this version."""
    gzip = served.gzipped is not None and "gzip" in request.headers.get("accept-encoding", "")
    etag = f'"{served.version}{"-gz" if gzip else ""}"'
    out = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Accept-Encoding", **(headers or {})}
    if status == 200 and served.version in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=out)
    if gzip:
        out["Content-Encoding"] = "gzip"
    return Response(served.gzipped if gzip else served.body, status, out, served.media_type)


def shell(request: Request, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """The page: revalidated on every view (`no-cache`), so a new version shows at once."""
    return send(request, files()["index.html"], "no-cache", status, SHELL_HEADERS | (headers or {}))


async def home(request: Request) -> Response:
    """Paste a link, pick languages, watch the summary fill in."""
    return shell(request)


async def status_page(request: Request) -> Response:
    """The service's state, read by the page from `GET /v1/state`."""
    return shell(request)


async def static(request: Request) -> Response:
    """app.js and app.css: kept a year when asked for by their current version, else revalidated."""
    name = request.path_params["name"]
    if name not in ASSETS:
        return error_response("not_found", f"No file {name!r} here.", 404)
    served = files()[name]
    current = request.query_params.get("v") == served.version
    return send(request, served, f"public, max-age={YEAR}, immutable" if current else "no-cache")


# --- one summary, without the API key ---------------------------------------------------------------------


async def _job(request: Request) -> Job | None:
    job_id: str = request.path_params["job_id"]
    if not 0 < len(job_id) <= 64 or not JOB_ID_CHARACTERS.issuperset(job_id):
        return None
    services: Services = request.app.state.services
    return await services.engine.get(job_id)


def public_resource(job: Job) -> dict[str, Any]:
    """The job resource without `callbacks` (URLs of whoever submitted it)."""
    resource = job_resource(job)
    resource.pop("callbacks", None)
    return resource


@cache
def _summary_shell() -> tuple[bytes, bytes]:
    """The shell cut where a summary page's job goes: in a JSON data block just before `</body>`."""
    head, tail = files()["index.html"].body.split(b"</body>", 1)
    return head + b'<script id="job" type="application/json">', b"</script>\n</body>" + tail


def _with_job(job: Job | None) -> bytes:
    head, tail = _summary_shell()
    data = b"null" if job is None else orjson.dumps(public_resource(job))
    # `<` occurs only inside JSON strings, where `\u003c` means the same: a title cannot end the block.
    return head + data.replace(b"<", b"\\u003c") + tail


def _not_found(request: Request) -> Response:
    job_id = request.path_params["job_id"]
    return error_response("not_found", f"No summary with id {job_id!r} (unknown, or expired).", 404)


async def summary_page(request: Request) -> Response:
    """One summary's page: the shell with the job inside, so a view is one request (the script follows a
    running job from there); 404 with `null` inside when the id is unknown, and the page says so."""
    job = await _job(request)
    headers = SHELL_HEADERS | {"X-Robots-Tag": "noindex", "Cache-Control": "no-store"}
    return Response(_with_job(job), 404 if job is None else 200, headers, HTML)


async def summary_job(request: Request) -> Response:
    """The job resource for the summary page, without the API key and without `callbacks` (the page asks
    it while a job has not started, and when the stream is refused)."""
    if (job := await _job(request)) is None:
        return _not_found(request)
    return Response(
        orjson.dumps(public_resource(job)),
        media_type="application/json",
        headers={"Cache-Control": "no-cache"},
    )


async def summary_events(request: Request) -> Response:
    """Follow one summary as server-sent events (`GET /v1/summaries/{id}/events`: chunk..., partial,
    done/failed with the job without `callbacks`), without the API key (EventSource sends no headers)."""
    if (job := await _job(request)) is None:
        return _not_found(request)
    services: Services = request.app.state.services
    return event_stream(job, services.stopping, public_resource)
