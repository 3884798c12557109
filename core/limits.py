"""The default bounds of a video and of a transcript or subtitle file: `Settings`' defaults (core/config.py)
and `summarizer.subtitles.Limits`' (a file read without settings: the CLI, benchmarks, tests), one place.

Apart from config.py so that the CPU process, which reads subtitle files, need not import pydantic with it
(core.config: 240 ms of imports, `python -X importtime -c 'import core.config'`)."""

from __future__ import annotations

MAX_VIDEO_SECONDS = 6 * 3600
MAX_TRANSCRIPT_SNIPPETS = 30_000
MAX_TRANSCRIPT_CHARS = 2_000_000
SUBTITLES_MAX_BYTES = 2 * 1024 * 1024
