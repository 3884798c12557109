"""Logging for the whole service: one line per event, as text or JSON, with secrets redacted.

`configure()` (called once, by api/main.py) puts one handler on the root logger and sends uvicorn's
loggers through it too. Secrets are kept out in two ways:

- URLs: the Telegram bot token sits in every Bot API URL (`/bot<id>:<secret>/`), a Discord interaction
  token in every webhook URL (`/webhooks/<app id>/<token>`), passwords in `scheme://user:password@host`
  (Redis, proxies). httpx logs each request's URL at INFO, python-telegram-bot its base URLs at DEBUG.
- Values: every secret setting registered with `hide()` (API keys, webhook secrets, METRICS_TOKEN,
  CALLBACK_SECRET, ...) is replaced wherever it appears.

The handler's formatter redacts the finished line, tracebacks included. The loggers that log URLs also
get a filter that redacts their records before any handler sees them (a handler of someone else's,
e.g. pytest's log capture, included).
"""

from __future__ import annotations

import datetime as dtm
import logging
import re
from typing import IO, Any

import orjson

_URL_SECRETS = (
    (re.compile(r"/bot\d+:[A-Za-z0-9_-]+"), "/bot<token>"),
    (re.compile(r"(/webhooks/\d+/)[^/\s?#\"']+"), r"\1<token>"),
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]+@", re.IGNORECASE), r"\1<credentials>@"),
)
LOGGERS_WITH_URLS = ("httpx", "telegram", "telegram.Bot", "telegram.BaseRequest", "telegram.HTTPXRequest")
# Values shorter than this are not treated as secrets (replacing "1" everywhere would garble every line).
MIN_SECRET_LENGTH = 6
HANDLER_NAME = "ytsum"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_secrets: set[str] = set()
# Attributes every LogRecord has (and uvicorn's ANSI-coloured copy of its message); anything else was
# passed in `extra=` and goes into the JSON line.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def hide(*values: str | None) -> None:
    """Never print these values (the secret settings); empty and very short ones are ignored."""
    _secrets.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)


def redact(text: str) -> str:
    """`text` without tokens in URLs, URL passwords and the values given to `hide()`."""
    for pattern, replacement in _URL_SECRETS:
        text = pattern.sub(replacement, text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "<redacted>")
    return text


def error_text(error: BaseException) -> str:
    """`error` for a log line: its type and message, without the arguments of the command a Redis pipeline
    failed on (redis-py puts them into the message: a job's compressed bytes, a user's text)."""
    message = str(error)
    head, sep, cause = message.rpartition(" of pipeline caused error: ")
    if sep and head.startswith("Command # "):
        command = head.partition("(")[2].partition(" ")[0]
        message = f"{command} in a pipeline: {cause}"
    return f"{type(error).__name__}: {message}"


class RedactFilter(logging.Filter):
    """Redacts a record's message in place, so every handler of the logger gets the clean text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def redact_url_loggers() -> None:
    """Put a `RedactFilter` on the loggers that log request URLs (a filter acts on its own logger only)."""
    for name in LOGGERS_WITH_URLS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactFilter) for f in logger.filters):
            logger.addFilter(RedactFilter())


class TextFormatter(logging.Formatter):
    """`<time> <LEVEL> <logger>: <message>` on one line: a traceback's line breaks are written `\\n`."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record)).replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time` (UTC, ISO 8601), `level`, `logger`, `message`, `exception` when
    there is one, and whatever was passed in `extra=`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dtm.datetime.fromtimestamp(record.created, dtm.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        for key, value in record.__dict__.items():
            if key not in _STANDARD:
                entry[key] = redact(value) if isinstance(value, str) else value
        return orjson.dumps(entry, default=str).decode()


def configure(level: str = "INFO", fmt: str = "text", stream: IO[str] | None = None) -> logging.Handler:
    """Log at `level` to `stream` (stderr) as `fmt` ("text" or "json"); replaces an earlier `configure`."""
    handler = logging.StreamHandler(stream)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn (started as `uvicorn api.main:app`) set up its own handlers before importing the app:
    # its lines go through this handler instead, in the same format. A logger uvicorn switched off
    # (`--no-access-log`: no handlers, no propagation) stays off: uvicorn then skips the access line
    # altogether (its `hasHandlers()` check), which render.yaml's command is there for (issue 16: 204
    # access lines for 200 webhooks while this turned it back on).
    for name in ("uvicorn", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not logger.handlers and not logger.propagate:
            continue
        logger.handlers.clear()
        logger.propagate = True
    redact_url_loggers()
    return handler
