"""The Dockerfile (no Docker engine needed): slim Python 3.11+, non-root, compiled, render.yaml's server.

Like test_render_yaml.py, each check runs on the real file and on broken copies.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable

import pytest
import yaml

from tests.support.deploy import PACKAGES, ROOT, assert_runs_the_app_in_one_process, uvicorn_params

Instruction = tuple[str, str]  # (INSTRUCTION, arguments)
# ${NAME:-default} in a shell command: the value when NAME is unset.
SHELL_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def parse(text: str) -> list[Instruction]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        current += " " + stripped.removesuffix("\\") if current else stripped.removesuffix("\\")
        if not stripped.endswith("\\"):
            word, _, rest = current.strip().partition(" ")
            instructions.append((word.upper(), rest.strip()))
            current = ""
    return instructions


def load() -> list[Instruction]:
    return parse((ROOT / "Dockerfile").read_text())


def args(instructions: list[Instruction], word: str) -> list[str]:
    return [rest for name, rest in instructions if name == word]


def shell_command(instructions: list[Instruction]) -> str:
    """CMD as the shell command it runs, with `exec` removed."""
    (cmd,) = args(instructions, "CMD")[-1:] or [""]
    assert cmd.startswith("["), "CMD in exec form (JSON), so the server is PID 1 and gets SIGTERM"
    words: list[str] = json.loads(cmd)
    if words[:2] == ["sh", "-c"]:
        return words[2].removeprefix("exec ")
    return shlex.join(words)


def uvicorn_defaults(command: str) -> str:
    """The command as the shell would run it with no variables set (`${PORT:-8000}` → `8000`)."""
    return SHELL_DEFAULT.sub(lambda match: match.group(2), command)


# --- the checks -------------------------------------------------------------------------------------


def check_base_image(instructions: list[Instruction]) -> None:
    image = args(instructions, "FROM")[-1].split()[0]
    match = re.fullmatch(r"python:3\.(\d+)(?:\.\d+)?-slim(?:-\w+)?", image)
    assert match, f"base image {image!r} is not a slim Python"
    assert int(match.group(1)) >= 11, f"{image!r}: the project needs Python 3.11+"


def check_non_root(instructions: list[Instruction]) -> None:
    users = [index for index, (name, _) in enumerate(instructions) if name == "USER"]
    assert users, "no USER: the server would run as root"
    user = instructions[users[-1]][1].split(":")[0]
    assert user not in {"root", "0"}, f"USER {user} is root"
    cmd = max(index for index, (name, _) in enumerate(instructions) if name == "CMD")
    assert users[-1] < cmd, "USER must come before CMD"


def check_install_and_compile(instructions: list[Instruction]) -> None:
    runs = [shlex.split(run) for run in args(instructions, "RUN")]
    assert any(
        run[:2] == ["pip", "install"] and "--no-cache-dir" in run and "requirements.txt" in run
        for run in runs
    ), "pip install --no-cache-dir -r requirements.txt"
    compiles = [run for run in runs if run[:3] == ["python", "-m", "compileall"]]
    assert compiles and not set(PACKAGES) - set(compiles[0]), f"compileall must cover {PACKAGES}"
    copied = " ".join(args(instructions, "COPY"))
    missing = [package for package in PACKAGES if f"{package}/" not in copied and ". ." not in copied]
    assert not missing, f"not copied into the image: {missing}"


def check_port(instructions: list[Instruction]) -> None:
    assert "8000" in args(instructions, "EXPOSE"), "EXPOSE 8000"
    command = shell_command(instructions)
    assert "${PORT" in command, "the port must come from PORT"
    assert uvicorn_params(uvicorn_defaults(command))["port"] == 8000, "PORT defaults to the exposed 8000"


def check_same_server_as_render(instructions: list[Instruction]) -> None:
    docker = uvicorn_params(uvicorn_defaults(shell_command(instructions)))
    assert_runs_the_app_in_one_process(docker)
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    (web,) = [service for service in blueprint["services"] if service["type"] == "web"]
    render = uvicorn_params(web["startCommand"])
    differ = {key for key in render if key != "port" and render[key] != docker[key]}
    assert not differ, f"the Dockerfile's server differs from render.yaml's in {sorted(differ)}"


def check_healthcheck(instructions: list[Instruction]) -> None:
    for check in args(instructions, "HEALTHCHECK"):
        assert "/healthz" in check, "HEALTHCHECK should use the liveness route /healthz"


CHECKS = [
    check_base_image,
    check_non_root,
    check_install_and_compile,
    check_port,
    check_same_server_as_render,
    check_healthcheck,
]


# --- the real file ------------------------------------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_dockerfile(check: Callable[[list[Instruction]], None]) -> None:
    check(load())


def test_dockerignore_keeps_secrets_and_clutter_out_but_not_the_code() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".git", ".venv"} <= ignored
    assert not ignored & {*PACKAGES, *(f"{package}/" for package in PACKAGES), "requirements.txt", "*", "**"}


def test_docs_give_the_free_tier_budget_for_docker() -> None:
    assert "--cpus=0.1 --memory=512m" in (ROOT / "docs" / "deploy.md").read_text()


# --- the checks fail when they should ---------------------------------------------------------------


def _replace(old: str, new: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        assert old in text, f"{old!r} is not in the Dockerfile any more: update this test"
        return text.replace(old, new)

    return mutate


BROKEN = [
    (check_base_image, _replace("FROM python:3.11-slim", "FROM python:3.11")),
    (check_base_image, _replace("FROM python:3.11-slim", "FROM python:3.10-slim")),
    (check_non_root, _replace("USER app", "USER root")),
    (check_non_root, _replace("USER app", "")),
    (check_install_and_compile, _replace("--no-cache-dir", "")),
    (check_install_and_compile, _replace("api bot core handlers summarizer", "api")),
    (check_install_and_compile, _replace("COPY handlers/ handlers/", "")),
    (check_port, _replace("EXPOSE 8000", "EXPOSE 80")),
    (check_port, _replace('\\"${PORT:-8000}\\"', "8000")),
    (check_same_server_as_render, _replace("--workers 1", "--workers 2")),
    (check_same_server_as_render, _replace("--no-access-log ", "")),
    (check_same_server_as_render, _replace("api.main:app --host", "api.main:create_app --host")),
    (check_same_server_as_render, _replace("--no-proxy-headers", "--proxy-headers")),
    (check_healthcheck, _replace("/healthz", "/")),
]


@pytest.mark.parametrize(
    ("check", "mutate"), BROKEN, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(BROKEN)]
)
def test_check_catches_a_broken_dockerfile(
    check: Callable[[list[Instruction]], None], mutate: Callable[[str], str]
) -> None:
    broken = parse(mutate((ROOT / "Dockerfile").read_text()))
    with pytest.raises((AssertionError, ValueError)):
        check(broken)
