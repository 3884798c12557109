"""The "before" of docs/benchmarks.md: a YouTube summary bot written the way typical public bots are.

Everything heavy is imported at start (python-telegram-bot, sumy, NLTK, numpy, PyNaCl), each request
computes its summary before answering (LexRank over the whole transcript at once), nothing is cached,
and every outbound call opens a new HTTP client. It reads the same `TRANSCRIPT_DIR` files and serves the
endpoints the benchmark hits. Run: `uvicorn --app-dir benchmarks/baseline app:app` (never in production).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import nltk  # noqa: F401  (imported at start, as such bots do)
import numpy  # noqa: F401
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pydantic import BaseModel
from sumy.nlp.stemmers import Stemmer
from sumy.parsers.plaintext import PlaintextParser
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.utils import get_stop_words
from telegram import Update

TRANSCRIPT_DIR = Path(os.environ.get("TRANSCRIPT_DIR", "transcripts"))
TELEGRAM_API = os.environ.get("TELEGRAM_API_BASE_URL", "https://api.telegram.org")
TOKEN = os.environ.get("TELEGRAM_BOT_TOKEN", "")
DISCORD_KEY = os.environ.get("DISCORD_PUBLIC_KEY", "")
SENTENCES = 10
LANGUAGES = {"en": "english", "de": "german", "fr": "french"}
LINK = re.compile(r"(?:youtu\.be/|v=)([A-Za-z0-9_-]{11})")
JOBS: dict[str, dict[str, Any]] = {}

app = FastAPI()


class RegexTokenizer:
    """Sentences at . ! ? (unpunctuated auto captions stay one sentence), words as runs of letters."""

    def to_sentences(self, text: str) -> list[str]:
        return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]

    def to_words(self, sentence: str) -> list[str]:
        return re.findall(r"\w+", sentence)


def summarize(video_id: str) -> dict[str, Any]:
    """Load the transcript and run LexRank over all of it at once."""
    data = json.loads((TRANSCRIPT_DIR / f"{video_id}.json").read_text(encoding="utf-8"))
    language = LANGUAGES.get(data["language_code"], "english")
    text = " ".join(s["text"].replace("\n", " ") for s in data["snippets"])
    parser = PlaintextParser.from_string(text, RegexTokenizer())
    summarizer = LexRankSummarizer(Stemmer(language))
    summarizer.stop_words = get_stop_words(language)
    points = [str(s) for s in summarizer(parser.document, SENTENCES)]
    job_id = uuid.uuid4().hex
    job: dict[str, Any] = {"id": job_id, "video_id": video_id, "status": "done", "points": points}
    JOBS[job_id] = job
    return job


class SummaryIn(BaseModel):
    url: str


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/v1/summaries")
async def create(body: SummaryIn) -> dict[str, Any]:
    match = LINK.search(body.url)
    if not match:
        raise HTTPException(422, "not a YouTube link")
    return summarize(match[1])


@app.get("/v1/summaries/{job_id}")
async def read(job_id: str) -> dict[str, Any]:
    if job_id not in JOBS:
        raise HTTPException(404)
    return JOBS[job_id]


@app.post("/telegram/webhook")
async def telegram_webhook(request: Request) -> dict[str, bool]:
    update = Update.de_json(await request.json(), None)
    message = update.message
    if message and message.text and (match := LINK.search(message.text)):
        text = "\n".join(summarize(match[1])["points"])[:4000]
        async with httpx.AsyncClient() as client:
            await client.post(
                f"{TELEGRAM_API}/bot{TOKEN}/sendMessage", json={"chat_id": message.chat.id, "text": text}
            )
    return {"ok": True}


@app.post("/discord/interactions")
async def discord_interactions(request: Request) -> JSONResponse:
    body = await request.body()
    try:
        VerifyKey(bytes.fromhex(DISCORD_KEY)).verify(
            request.headers["X-Signature-Timestamp"].encode() + body,
            bytes.fromhex(request.headers["X-Signature-Ed25519"]),
        )
    except (KeyError, ValueError, BadSignatureError):
        return JSONResponse({"error": "invalid signature"}, 401)
    interaction = json.loads(body)
    if interaction["type"] == 1:
        return JSONResponse({"type": 1})
    url = {o["name"]: o["value"] for o in interaction["data"].get("options", [])}.get("url", "")
    match = LINK.search(url)
    content = "\n".join(summarize(match[1])["points"]) if match else "Not a YouTube link."
    return JSONResponse({"type": 4, "data": {"content": content[:2000]}})
