"""Settings come from the environment under the contract's names."""

from __future__ import annotations

import pytest

from core.config import Settings


def test_defaults_run_embedded_without_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_URL", "TRANSCRIPT_DIR", "API_KEY", "LANGUAGES", "QUEUE_MAX", "PORT", "HOST"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert (settings.host, settings.port, settings.redis_url, settings.api_key) == (
        "127.0.0.1",
        8000,
        None,
        None,
    )
    assert settings.languages == ["en"] and settings.queue_max == 20 and settings.concurrent_jobs == 1


def test_environment_names_and_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGES", "de, en")
    monkeypatch.setenv("WEBSHARE_PROXY_LOCATIONS", "DE,US")
    monkeypatch.setenv("QUEUE_MAX", "7")
    monkeypatch.setenv("TRANSCRIPT_DIR", "/data")
    settings = Settings(_env_file=None)
    assert settings.languages == ["de", "en"] and settings.webshare_proxy_locations == ["DE", "US"]
    assert (settings.queue_max, settings.transcript_dir) == (7, "/data")


def test_renamed_settings_are_read_under_their_old_names_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """WORKERS became CONCURRENT_JOBS and WORKER_IDLE_SECONDS became CPU_PROCESS_IDLE_SECONDS: a deployment
    that still sets the old names keeps its values; the new names win when both are set."""
    for name in ("CONCURRENT_JOBS", "CPU_PROCESS_IDLE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKERS", "2")
    monkeypatch.setenv("WORKER_IDLE_SECONDS", "30")
    old = Settings(_env_file=None)
    assert (old.concurrent_jobs, old.cpu_process_idle_seconds) == (2, 30.0)
    monkeypatch.setenv("CONCURRENT_JOBS", "3")
    monkeypatch.setenv("CPU_PROCESS_IDLE_SECONDS", "60")
    new = Settings(_env_file=None)
    assert (new.concurrent_jobs, new.cpu_process_idle_seconds) == (3, 60.0)


@pytest.mark.parametrize(
    ("providers", "key", "says"),
    [
        ("youtube,supadta", "k", "unknown supadta"),
        ("youtube,supadata", None, "set SUPADATA_API_KEY"),
    ],
)
def test_transcript_providers_are_checked_at_start_up(
    monkeypatch: pytest.MonkeyPatch, providers: str, key: str | None, says: str
) -> None:
    monkeypatch.setenv("TRANSCRIPT_PROVIDERS", providers)
    monkeypatch.delenv("SUPADATA_API_KEY", raising=False)
    if key:
        monkeypatch.setenv("SUPADATA_API_KEY", key)
    with pytest.raises(ValueError, match=says):
        Settings(_env_file=None)
    monkeypatch.setenv("TRANSCRIPT_PROVIDERS", "supadata, youtube")
    monkeypatch.setenv("SUPADATA_API_KEY", "k")
    assert Settings(_env_file=None).transcript_providers == ["supadata", "youtube"]
    monkeypatch.setenv("TRANSCRIPT_PROVIDERS", " ")  # a dashboard prompt left blank: the default
    assert Settings(_env_file=None).transcript_providers == ["youtube"]


def test_a_variable_set_empty_means_its_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render sets a `sync: false` variable whose prompt was left blank: it must not break the start-up."""
    for name in ("QUEUE_MAX", "LANGUAGES", "SUPADATA_TIMEOUT", "API_KEY"):
        monkeypatch.setenv(name, "")
    settings = Settings(_env_file=None)
    assert (settings.queue_max, settings.languages, settings.supadata_timeout, settings.api_key) == (
        20,
        ["en"],
        60.0,
        None,
    )
