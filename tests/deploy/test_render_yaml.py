"""render.yaml, checked against Render's Blueprint fields (../shared platform facts §3) and the app itself.

Each check is a function of the parsed Blueprint, run on the real file and on broken copies (the last test),
so every check is shown to fail when it should.
"""

from __future__ import annotations

import ast
import copy
import importlib.metadata
import re
import shlex
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import yaml

from core.config import Settings
from tests.support.deploy import (
    APP,
    PACKAGES,
    ROOT,
    assert_runs_the_app_in_one_process,
    setting_names,
    uvicorn_params,
)
from tests.support.fake_telegram import TOKEN, FakeTelegram

Blueprint = dict[str, Any]

# Required keys and their types, per service type (Render's Blueprint spec; we also require what we rely on).
REQUIRED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "web": {
        "type": str,
        "name": str,
        "runtime": str,
        "plan": str,
        "region": str,
        "buildCommand": str,
        "startCommand": str,
        "healthCheckPath": str,
        "maxShutdownDelaySeconds": int,
        "envVars": list,
    },
    "keyvalue": {
        "type": str,
        "name": str,
        "plan": str,
        "region": str,
        "ipAllowList": list,
        "maxmemoryPolicy": str,
    },
}
EVICTION_POLICIES = {
    "allkeys-lru",
    "volatile-lru",
    "allkeys-lfu",
    "volatile-lfu",
    "allkeys-random",
    "volatile-random",
    "volatile-ttl",
    "noeviction",
}
ENV_SOURCES = {"value", "generateValue", "sync", "fromService", "fromDatabase", "fromGroup"}
SECRET_WORDS = ("TOKEN", "SECRET", "KEY", "PASSWORD", "USERNAME")
# Env vars in render.yaml that are not settings of the app: read by Render's Python runtime.
NOT_SETTINGS = {"PYTHON_VERSION"}
# Render sets these itself; a value in render.yaml would fight the platform.
PLATFORM_SET = {"PORT", "RENDER_EXTERNAL_URL", "PUBLIC_URL"}
# What the free deployment needs: both chat platforms, the cache, the REST guard, callback signing, a proxy.
NEEDED = {
    "REDIS_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DISCORD_PUBLIC_KEY",
    "DISCORD_APPLICATION_ID",
    "API_KEY",
    "CALLBACK_SECRET",
    "WEBSHARE_PROXY_USERNAME",
    "WEBSHARE_PROXY_PASSWORD",
}
# Optional settings that, once the app has them, the deployment must set too.
NEEDED_WHEN_PRESENT = {"METRICS_TOKEN"}
TELEGRAM_SECRET_ALPHABET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def load() -> Blueprint:
    blueprint: Blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    return blueprint


def services(blueprint: Blueprint, kind: str) -> list[dict[str, Any]]:
    return [service for service in blueprint["services"] if service.get("type") == kind]


def web(blueprint: Blueprint) -> dict[str, Any]:
    (service,) = services(blueprint, "web")
    return service


def env(blueprint: Blueprint) -> dict[str, dict[str, Any]]:
    return {entry["key"]: entry for entry in web(blueprint)["envVars"]}


# --- the checks -------------------------------------------------------------------------------------


def check_shape(blueprint: Blueprint) -> None:
    assert isinstance(blueprint, dict) and isinstance(blueprint.get("services"), list), (
        "needs a services list"
    )
    names = [service.get("name") for service in blueprint["services"]]
    assert len(names) == len(set(names)), f"service names repeat: {names}"
    assert len(services(blueprint, "web")) == 1, "exactly one web service"
    assert len(services(blueprint, "keyvalue")) == 1, "exactly one Key Value"
    for service in blueprint["services"]:
        kind = service.get("type")
        assert kind in REQUIRED, (
            f"unexpected service type {kind!r} (free plans exist for web and keyvalue only)"
        )
        for key, types in REQUIRED[kind].items():
            assert key in service, f"{service.get('name')}: missing {key}"
            assert isinstance(service[key], types), f"{service.get('name')}: {key} must be {types}"
    assert web(blueprint)["runtime"] == "python"
    assert 1 <= web(blueprint)["maxShutdownDelaySeconds"] <= 300, "Render allows 1-300 s"
    regions = {service["region"] for service in blueprint["services"]}
    assert len(regions) == 1, f"the internal Key Value URL works within one region only: {regions}"


def check_free(blueprint: Blueprint) -> None:
    for service in blueprint["services"]:
        assert service.get("plan") == "free", (
            f"{service['name']}: plan must be free (Render's default is paid)"
        )


def check_env_entries(blueprint: Blueprint) -> None:
    keys = [entry.get("key") for entry in web(blueprint)["envVars"]]
    assert len(keys) == len(set(keys)), f"env var keys repeat: {keys}"
    for entry in web(blueprint)["envVars"]:
        sources = ENV_SOURCES & entry.keys()
        assert len(sources) == 1, f"{entry.get('key')}: needs exactly one of {sorted(ENV_SOURCES)}"
        assert set(entry) <= {"key", *ENV_SOURCES}, (
            f"{entry['key']}: unknown fields {set(entry) - ENV_SOURCES}"
        )
        if "value" in entry:
            assert isinstance(entry["value"], str), f"{entry['key']}: quote the value (env vars are strings)"
        if "sync" in entry:
            assert entry["sync"] is False, f"{entry['key']}: sync must be false (asked for in the dashboard)"
        if "generateValue" in entry:
            assert entry["generateValue"] is True, f"{entry['key']}: generateValue must be true"


def check_no_committed_secret(blueprint: Blueprint) -> None:
    for key, entry in env(blueprint).items():
        if any(word in key for word in SECRET_WORDS):
            assert (
                entry.get("sync") is False or entry.get("generateValue") is True or "fromService" in entry
            ), f"{key} looks secret: use sync: false, generateValue: true or fromService, never value"


def check_guarded(blueprint: Blueprint) -> None:
    """The REST API is closed from the first deploy: anyone could spend the operator's LLM or API quota."""
    entry = env(blueprint).get("API_KEY", {})
    assert entry.get("generateValue") is True, "API_KEY: generateValue: true (docs/deploy.md: opening it)"


def check_settings(blueprint: Blueprint) -> None:
    known = setting_names()
    keys = set(env(blueprint))
    unknown = keys - known - NOT_SETTINGS
    assert not unknown, f"render.yaml sets what the app never reads: {sorted(unknown)}"
    assert not keys & PLATFORM_SET, f"Render sets these itself: {sorted(keys & PLATFORM_SET)}"
    needed = NEEDED | (NEEDED_WHEN_PRESENT & known)
    assert not needed - keys, f"the free deployment needs {sorted(needed - keys)}"
    assert "PYTHON_VERSION" in keys, "pin PYTHON_VERSION (Render's default changes)"
    major, minor, *_ = (int(part) for part in env(blueprint)["PYTHON_VERSION"]["value"].split("."))
    assert (major, minor) >= (3, 11), "the project needs Python 3.11+"
    for key, entry in env(blueprint).items():
        if "value" in entry and key not in NOT_SETTINGS:
            Settings(_env_file=None, **{key.lower(): entry["value"]})  # the app accepts the value


def check_key_value(blueprint: Blueprint) -> None:
    (store,) = services(blueprint, "keyvalue")
    assert store["maxmemoryPolicy"] in EVICTION_POLICIES, f"unknown policy {store['maxmemoryPolicy']!r}"
    for entry in store["ipAllowList"]:
        assert isinstance(entry, dict) and "source" in entry, "ipAllowList entries are {source, description}"
    source = env(blueprint).get("REDIS_URL", {}).get("fromService")
    assert source == {"name": store["name"], "type": "keyvalue", "property": "connectionString"}, (
        f"REDIS_URL must come from the Key Value {store['name']!r}'s connectionString, not {source}"
    )


def check_build(blueprint: Blueprint) -> None:
    steps = [shlex.split(step) for step in web(blueprint)["buildCommand"].split("&&")]
    assert any(step[:2] == ["pip", "install"] and "requirements.txt" in step for step in steps), (
        "the build installs requirements.txt"
    )
    compiles = [step for step in steps if step[:3] == ["python", "-m", "compileall"]]
    assert compiles, "the build compiles bytecode ahead of time (python -m compileall)"
    missing = set(PACKAGES) - set(compiles[0])
    assert not missing, f"compileall leaves out {sorted(missing)}"


def check_start(blueprint: Blueprint) -> None:
    command = web(blueprint)["startCommand"]
    assert "$PORT" in shlex.split(command), "bind Render's $PORT"
    params = uvicorn_params(command)
    assert_runs_the_app_in_one_process(params)
    assert params["port"] == 10000, "--port $PORT"


CHECKS = [
    check_shape,
    check_free,
    check_env_entries,
    check_no_committed_secret,
    check_guarded,
    check_settings,
    check_key_value,
    check_build,
    check_start,
]


# --- the real file ------------------------------------------------------------------------------------


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_render_yaml(check: Callable[[Blueprint], None]) -> None:
    check(load())


def test_requirements_are_pinned() -> None:
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    unpinned = [line for line in lines if line and not line.startswith("#") and "==" not in line]
    assert not unpinned, f"the build installs these unpinned: {unpinned}"


def test_build_installs_what_the_app_imports() -> None:
    """The build installs requirements.txt only: every package the service's code imports is pinned there."""
    pinned = {
        re.sub(r"[-_.]+", "-", line.split("==")[0]).lower()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    distributions = importlib.metadata.packages_distributions()
    missing = set()
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(source.read_text())):
                names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for top in (
                    {name.split(".")[0] for name in names} - set(sys.stdlib_module_names) - set(PACKAGES)
                ):
                    dists = {re.sub(r"[-_.]+", "-", dist).lower() for dist in distributions.get(top, [top])}
                    if not dists & pinned:
                        missing.add(f"{top} ({source.relative_to(ROOT)})")
    assert not missing, f"imported but not pinned in requirements.txt: {sorted(missing)}"


async def test_health_check_path_is_a_route_of_the_app() -> None:
    from api.main import create_app

    path = web(load())["healthCheckPath"]
    app = create_app(Settings(_env_file=None))
    assert "get" in app.openapi()["paths"].get(path, {}), f"{path} is not a GET route of the app"
    # No lifespan here: liveness must answer before (and without) the engine.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://render") as client:
        response = await client.get(path)
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_webhook_secret_render_gives_is_accepted_by_telegram() -> None:
    """Render's generateValue gives base64 ("+", "/", "="); Telegram's secret_token allows A-Z a-z 0-9 _ -."""
    entry = env(load())["TELEGRAM_WEBHOOK_SECRET"]
    if entry.get("generateValue"):  # then the value sent to Telegram must be derived into its alphabet
        from bot.telegram import TelegramClient
        from bot.telegram_webhook import set_webhook

        async with FakeTelegram().running() as fake:  # what the app sends, as a Bot API server receives it
            settings = Settings(
                _env_file=None,
                telegram_bot_token=TOKEN,
                telegram_api_base_url=fake.url,
                telegram_webhook_secret="k2+/Zx9=" * 5 + "Ab==",
                public_url="https://x.test",
            )
            client = TelegramClient.from_settings(settings)
            try:
                await set_webhook(client, settings)
            finally:
                await client.close()
        [sent] = [call.params for call in fake.called("setWebhook")]
        assert TELEGRAM_SECRET_ALPHABET.fullmatch(sent.get("secret_token") or ""), (
            "Telegram refuses this generated secret: derive a Telegram-safe token in the app, or use sync: false"
        )
    else:  # asked for: the deploy guide must say how to make one Telegram accepts
        assert entry.get("sync") is False
        assert "token_urlsafe" in (ROOT / "docs" / "deploy.md").read_text()


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = sorted(name for name in setting_names() if f"`{name}`" not in text)
    assert not missing, f"docs/configuration.md lacks {missing}"


# --- the checks fail when they should ---------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[Blueprint], None]:
    def mutate(blueprint: Blueprint) -> None:
        *parents, last = path.split(".")
        node: Any = blueprint
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


def _env_entry(key: str, entry: dict[str, Any] | None) -> Callable[[Blueprint], None]:
    def mutate(blueprint: Blueprint) -> None:
        entries = [e for e in web(blueprint)["envVars"] if e["key"] != key]
        web(blueprint)["envVars"] = entries + ([{"key": key, **entry}] if entry is not None else [])

    return mutate


_DELETE = object()

BROKEN = [
    (check_shape, _set("services.0.healthCheckPath", _DELETE)),
    (check_shape, _set("services.0.maxShutdownDelaySeconds", "40")),
    (check_shape, _set("services.1.ipAllowList", _DELETE)),
    (check_shape, _set("services.1.region", "frankfurt")),
    (check_free, _set("services.0.plan", "starter")),
    (check_free, _set("services.1.plan", _DELETE)),
    (check_env_entries, _env_entry("QUEUE_MAX", {"value": 20})),
    (check_env_entries, _env_entry("API_KEY", {"sync": False, "value": "x"})),
    (check_guarded, _env_entry("API_KEY", {"sync": False})),
    (check_guarded, _env_entry("API_KEY", None)),
    (check_no_committed_secret, _env_entry("TELEGRAM_BOT_TOKEN", {"value": "123:abc"})),
    (check_no_committed_secret, _env_entry("WEBSHARE_PROXY_USERNAME", {"value": "me"})),
    (check_settings, _env_entry("NOT_A_SETTING", {"value": "1"})),
    (check_settings, _env_entry("DISCORD_PUBLIC_KEY", None)),
    (check_settings, _env_entry("PORT", {"value": "8000"})),
    (check_settings, _env_entry("QUEUE_MAX", {"value": "many"})),
    (check_key_value, _set("services.1.maxmemoryPolicy", "lru")),
    (check_key_value, _env_entry("REDIS_URL", {"value": "redis://localhost:6379"})),
    (check_build, _set("services.0.buildCommand", "pip install -r requirements.txt")),
    (
        check_build,
        _set("services.0.buildCommand", "pip install -r requirements.txt && python -m compileall api"),
    ),
    (check_start, _set("services.0.startCommand", "uvicorn api.main:app --host 0.0.0.0 --port 8000")),
    (
        check_start,
        _set("services.0.startCommand", "uvicorn api.main:app --host 0.0.0.0 --port $PORT --workers 4"),
    ),
    (check_start, _set("services.0.startCommand", "uvicorn api.main:nope --host 0.0.0.0 --port $PORT")),
    (check_start, _set("services.0.startCommand", "uvicorn api.main:app --port $PORT --proxy-headers")),
    (
        check_start,
        _set("services.0.startCommand", "uvicorn api.main:app --host 0.0.0.0 --port $PORT --no-such"),
    ),
]


@pytest.mark.parametrize(
    ("check", "mutate"), BROKEN, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(BROKEN)]
)
def test_check_catches_a_broken_blueprint(
    check: Callable[[Blueprint], None], mutate: Callable[[Blueprint], None]
) -> None:
    blueprint = copy.deepcopy(load())
    mutate(blueprint)
    with pytest.raises((AssertionError, ValueError, ImportError, AttributeError)):
        check(blueprint)


def test_app_is_the_one_the_docs_name() -> None:
    assert APP in (ROOT / "docs" / "deploy.md").read_text()
