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
