"""What both deployment files are checked against (the app's settings and uvicorn's own command line), and
render.yaml's start command run for real."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import httpx
import yaml
from uvicorn.importer import import_from_string
from uvicorn.main import main as uvicorn_cli

from core.config import Settings
from tests.support.data import TRANSCRIPTS
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
APP = "api.main:app"
HTTP = "api.request_deadline:RequestDeadlineProtocol"  # uvicorn's httptools, with deadlines for requests
# The packages the service is made of (compiled ahead of time by both deployments).
PACKAGES = sorted(
    path.parent.name for path in ROOT.glob("*/__init__.py") if path.parent.name not in {"tests", "benchmarks"}
)


def setting_names() -> set[str]:
    """Every environment variable `core.config.Settings` reads: upper-cased fields and their aliases."""
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None)
        names.update(str(alias).upper() for alias in aliases) if aliases else names.add(name.upper())
    return names


def uvicorn_params(command: str, port: str = "10000") -> dict[str, object]:
    """Parse a `uvicorn ...` shell command with uvicorn's CLI (unknown options raise); `$PORT` → `port`."""
    words = shlex.split(command.replace("$PORT", port))
    assert words[0] == "uvicorn", f"not a uvicorn command: {command!r}"
    try:
        context = uvicorn_cli.make_context("uvicorn", words[1:])
    except click.UsageError as error:
        raise AssertionError(f"uvicorn refuses {command!r}: {error}") from error
    return context.params


def assert_runs_the_app_in_one_process(params: dict[str, object]) -> None:
    """The options every deployment needs: the app, all interfaces, one process, the real client IP."""
    assert params["app"] == APP, f"starts {params['app']!r}, not {APP!r}"
    assert callable(import_from_string(str(params["app"]))), "the app is not an importable ASGI callable"
    assert params["host"] == "0.0.0.0", "must listen on every interface (0.0.0.0), not loopback"
    assert params["workers"] in (None, 1), "one process: the queue and the jobs live in it"
    assert params["reload"] is False, "--reload is for development"
    assert params["http"] == HTTP, f"--http {HTTP}: request heads and bodies have deadlines (slowloris)"
    assert import_from_string(HTTP) is not None
    assert params["proxy_headers"] is False, (
        "--no-proxy-headers: the app takes the client IP the proxy appended (uvicorn's would be the client's)"
    )


def start_command() -> list[str]:
    """render.yaml's web start command on a free loopback port, run by this interpreter."""
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text(encoding="utf-8"))
    command = next(s for s in blueprint["services"] if s["type"] == "web")["startCommand"]
    words = shlex.split(command.replace("$PORT", str(free_port())).replace("0.0.0.0", "127.0.0.1"))
    assert words[0] == "uvicorn"
    return [sys.executable, "-m", *words]


@contextmanager
def running(
    command: list[str], workdir: Path, **settings: str
) -> Iterator[tuple[httpx.Client, Path, subprocess.Popen[bytes]]]:
    """The command started offline (transcripts from the test folder, `settings` as environment variables);
    a client on its port, its log and its process."""
    port = command[command.index("--port") + 1]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env |= {"PYTHONPATH": str(ROOT), "TRANSCRIPT_DIR": str(TRANSCRIPTS), "RATE_LIMIT": ""} | settings
    log = workdir / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(600):
                assert process.poll() is None, log.read_text()
                try:
                    client.get("/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            yield client, log, process
    finally:
        process.terminate()
        process.wait(20)
