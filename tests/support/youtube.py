"""YouTube's answers recorded in tests/data/youtube/, served with `responses` to youtube-transcript-api
(the `yt` fixture in tests/summarizer/conftest.py): only the network is replaced."""

from __future__ import annotations

import json
import re
from typing import Any

import responses

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
