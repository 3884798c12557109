"""What both deployment files are checked against: the app's settings and uvicorn's own command line."""

from __future__ import annotations

import shlex
from pathlib import Path

import click
from uvicorn.importer import import_from_string
from uvicorn.main import main as uvicorn_cli

from core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
APP = "api.main:app"
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
    """Parse a `uvicorn ...` shell command with uvicorn's own CLI (unknown options raise); `$PORT` → `port`."""
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
    assert params["proxy_headers"] is False, (
        "--no-proxy-headers: the app takes the client IP the proxy appended (uvicorn's would be the client's)"
    )
