"""Fixtures of the summarizer tests: YouTube answering from its recorded pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from responses import matchers

from tests.support.youtube import PLAYER, TIMEDTEXT, VIDEO, WATCH, asset


@pytest.fixture
def yt() -> Iterator[responses.RequestsMock]:
    """YouTube answering like in youtube.html / youtube.innertube.json / transcript.xml."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(WATCH, body=asset("youtube.html"))
        rsps.post(
            PLAYER,
            body=asset("youtube.innertube.json"),
            content_type="application/json",
            match=[matchers.json_params_matcher({"videoId": VIDEO}, strict_match=False)],
        )
        rsps.get(TIMEDTEXT, body=asset("transcript.xml"))
        yield rsps
