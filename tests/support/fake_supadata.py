"""A local stand-in for Supadata's transcript API and YouTube's oEmbed endpoint: a real HTTP server.

Serve `FakeSupadata().app` with `tests.support.servers.serve`; point `SUPADATA_BASE_URL` at `<url>/v1` and
`YOUTUBE_OEMBED_URL` at `<url>/oembed`. It answers transcripts from tests/data/transcripts (offsets and
durations in milliseconds, as Supadata does); `answer(video_id, status, body)` makes it answer that video
otherwise (a 429, a 206 "transcript-unavailable", …); `captions_of[video] = other` serves another
video's captions for a video with no file (the recorded YouTube video); `asynchronous(video_id)` makes it
hand out a job to poll, which completes at the second look. A video it has no captions for answers 206.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

from tests.support.data import TRANSCRIPTS

API_KEY = "supadata-test-key"
TITLES = {"LPZh9BOjkQs": ("How large language models work, a visual intro", "3Blue1Brown")}


@dataclass
class Call:
    path: str
    params: dict[str, str]
    api_key: str | None


class FakeSupadata:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.answers: dict[str, tuple[int, Any]] = {}
        self._jobs: dict[str, int] = {}  # job id → looks so far
        self._asynchronous: set[str] = set()
        self.captions_of: dict[str, str] = {}
        self.app = FastAPI()
        self.app.add_api_route("/v1/transcript", self._transcript, methods=["GET"])
        self.app.add_api_route("/v1/transcript/{job_id}", self._job, methods=["GET"])
        self.app.add_api_route("/oembed", self._oembed, methods=["GET"])

    def answer(self, video_id: str, status: int, body: Any) -> None:
        self.answers[video_id] = (status, body)

    def asynchronous(self, video_id: str) -> None:
        self._asynchronous.add(video_id)

    def _record(self, request: Request) -> Call:
        call = Call(request.url.path, dict(request.query_params), request.headers.get("x-api-key"))
        self.calls.append(call)
        return call

    @staticmethod
    def _video(url: str) -> str:
        return parse_qs(urlparse(url).query).get("v", [""])[0]

    async def _transcript(self, request: Request) -> Response:
        call = self._record(request)
        if call.api_key != API_KEY:
            return JSONResponse({"error": "unauthorized", "message": "Unauthorized"}, 401)
        video = self._video(call.params.get("url", ""))
        if video in self.answers:
            status, body = self.answers[video]
            return JSONResponse(body, status)
        if video in self._asynchronous:
            self._jobs[video] = 0
            return JSONResponse({"jobId": video}, 202)
        return self._captions(video)

    async def _job(self, request: Request, job_id: str) -> Response:
        self._record(request)
        self._jobs[job_id] = looks = self._jobs.get(job_id, 0) + 1
        if looks < 2:
            return JSONResponse({"status": "active"})
        response = self._captions(job_id)
        if response.status_code != 200:
            return response
        return JSONResponse({"status": "completed", **json.loads(bytes(response.body))})

    def _captions(self, video: str) -> JSONResponse:
        path = TRANSCRIPTS / f"{self.captions_of.get(video, video)}.json"
        if not path.is_file():
            return JSONResponse({"error": "transcript-unavailable", "message": "Transcript Unavailable"}, 206)
        return JSONResponse(_transcript_of(path))

    async def _oembed(self, request: Request) -> Response:
        call = self._record(request)
        video = self._video(call.params.get("url", ""))
        if video not in TITLES:
            return Response("Not Found", 404)
        title, author = TITLES[video]
        return JSONResponse({"title": title, "author_name": author, "type": "video"})


def _transcript_of(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    content = [
        {
            "text": s["text"],
            "offset": round(s["start"] * 1000),
            "duration": round(s["duration"] * 1000),
            "lang": "en",
        }
        for s in data["snippets"]
    ]
    return {"content": content, "lang": data["language_code"], "availableLangs": [data["language_code"]]}
