"""Fixtures of the summarizer tests: YouTube answering from its recorded pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from tests.support.youtube import recorded_youtube


@pytest.fixture
def yt() -> Iterator[responses.RequestsMock]:
    """YouTube answering like in youtube.html / youtube.innertube.json / transcript.xml."""
    with recorded_youtube() as rsps:
        yield rsps
