"""YouTube's answers recorded in tests/data/youtube/, served with `responses` to youtube-transcript-api
(`recorded_youtube()`, the `yt` fixture of tests/summarizer/conftest.py, tests/support/recorded_worker.py):
only the network is replaced."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import responses
from responses import matchers

from tests.support.data import YOUTUBE

VIDEO = "GJLlxj_dtq8"  # the video of youtube.html / youtube.innertube.json
API_KEY = "AIzaSyAO_FJ2SlqU8Q4STEHLGCilw_Y9_11qcW8"  # INNERTUBE_API_KEY in youtube.html
WATCH = f"https://www.youtube.com/watch?v={VIDEO}"
PLAYER = re.compile(re.escape(f"https://www.youtube.com/youtubei/v1/player?key={API_KEY}") + "$")
TIMEDTEXT = re.compile(r"https://www\.youtube\.com/api/timedtext\?")


def asset(name: str) -> bytes:
    return (YOUTUBE / name).read_bytes()


def player_json(name: str = "youtube.innertube.json") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(asset(name))
    return data


def replace_player(rsps: responses.RequestsMock, body: bytes | str) -> None:
    rsps.replace(responses.POST, PLAYER, body=body, content_type="application/json")


@contextmanager
def recorded_youtube() -> Iterator[responses.RequestsMock]:
    """YouTube answering like in youtube.html / youtube.innertube.json / transcript.xml, for `VIDEO`."""
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
