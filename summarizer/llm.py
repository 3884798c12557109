"""A client for any OpenAI-compatible Chat Completions endpoint, on plain httpx (no SDK).

Asks for a streamed answer (server-sent events) and hands the text written so far to a callback;
a provider that answers with one JSON body instead is read the same way. Timeouts, 429 (after its
`Retry-After`), 5xx and transport errors are retried a bounded number of times with jitter; quota
and other client errors are not. Every failure that is left ends as `LLMError`, also an answer that is not
JSON or not of the API's shape (an event that is not an object, `choices` that is not a list, content that
is not text), a body that cannot be decoded (a broken gzip) and an error event in the stream (the provider
failed mid-answer: what came before it is not the answer): each piece is checked as it is read, so callers
fall back as for a failed call. None of these is retried.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from email.utils import parsedate_to_datetime
from time import time
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from core.telemetry import LLM_REQUESTS, LLM_TOKENS, OUTBOUND, OUTBOUND_ERRORS, OUTBOUND_RATE_LIMITED

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
T = TypeVar("T")

# A 429 asking to wait longer than this is not waited for (the chunk falls back instead).
MAX_RETRY_AFTER = 30.0
# Error codes and types that mean "no money left", which no retry cures.
_QUOTA_MARKERS = ("insufficient_quota", "quota", "billing", "payment")


class LLMError(Exception):
    """A call that failed for good (after the retries it deserved)."""


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class ChatClient:
    """POSTs `{base_url}/chat/completions`; one shared `httpx.AsyncClient`, made at the first call.

    `usage` counts requests, failures and the tokens the provider reports (a plain Counter: `requests`,
    `retries`, `failures`, `prompt_tokens`, `completion_tokens`); the same go to the Prometheus metrics
    `ytsum_llm_requests_total{outcome}`, `ytsum_llm_tokens_total{kind}` and
    `ytsum_outbound_*{platform="llm"}`.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 2,
        backoff: float = 1.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self._sleep = sleep
        self.usage: Counter[str] = Counter()
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def complete(
        self,
        messages: list[dict[str, str]],
        max_tokens: int,
        on_text: Callable[[str], None] | None = None,
    ) -> str:
        """The model's answer; `on_text(text_so_far)` is called as streamed pieces arrive.

        Raises `LLMError` once the retries are used up or the error is not worth retrying.
        """
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": 0.2,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        # httpx is imported when a model is first called, not with the engine: `import api.main` went from
        # 0.33-0.34 to 0.30-0.31 CPU-s (median of 9 runs each, time.process_time), ~0.3 s of wall at 0.1 CPU.
        import httpx

        attempt = 0
        while True:
            try:
                text = await self._attempt(body, on_text)
                LLM_REQUESTS.labels("ok").inc()
                return text
            except (_Retryable, TimeoutError, httpx.TransportError) as error:
                reason = str(error) or type(error).__name__
                if attempt == self.max_retries:
                    self._failed()
                    raise LLMError(f"gave up after {attempt + 1} attempts: {reason}") from error
                await self._pause(attempt, reason, getattr(error, "wait", None))
                attempt += 1
            except LLMError:
                self._failed()
                raise
            except (orjson.JSONDecodeError, httpx.DecodingError) as error:  # not JSON; a broken gzip body
                self._failed()
                what = "not JSON" if isinstance(error, orjson.JSONDecodeError) else "undecodable body"
                raise LLMError(f"unreadable answer: {what}: {error}") from error

    async def _attempt(self, body: dict[str, Any], on_text: Callable[[str], None] | None) -> str:
        """One request within the timeout, counted as outbound (and as an outbound error when it fails)."""
        import httpx

        self.usage["requests"] += 1
        OUTBOUND.labels("llm").inc()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._call(body, on_text)
        except (TimeoutError, httpx.TransportError):
            OUTBOUND_ERRORS.labels("llm").inc()
            raise

    def _failed(self) -> None:
        self.usage["failures"] += 1
        LLM_REQUESTS.labels("failed").inc()

    async def _pause(self, attempt: int, reason: str, wait: float | None) -> None:
        """Sleep before a retry: the server's `Retry-After` plus a little, else exponential with jitter."""
        if wait is None:
            wait = self.backoff * 2**attempt * random.uniform(0.5, 1.0)
        else:
            wait += random.uniform(0, self.backoff / 4)
        log.info("LLM call failed (%s); retry %d in %.1f s", reason, attempt + 1, wait)
        self.usage["retries"] += 1
        LLM_REQUESTS.labels("retried").inc()
        await self._sleep(wait)

    async def _call(self, body: dict[str, Any], on_text: Callable[[str], None] | None) -> str:
        if self._http is None:
            import httpx

            self._http = httpx.AsyncClient(headers=self._headers, timeout=self.timeout)
        async with self._http.stream("POST", self.url, json=body) as response:
            if response.status_code != 200:
                OUTBOUND_ERRORS.labels("llm").inc()
                if response.status_code == 429:
                    OUTBOUND_RATE_LIMITED.labels("llm").inc()
                await response.aread()
                raise _status_error(response)
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return await self._read_stream(response, on_text)
            data = _shaped(orjson.loads(await response.aread()), dict, "the answer")  # it does not stream
            self._count(data.get("usage"))
            choices = _shaped(data.get("choices"), list, "choices")
            if not choices:
                raise LLMError("unreadable answer: no choices")
            message = _shaped(_shaped(choices[0], dict, "a choice").get("message"), dict, "a message")
            text = _text(message.get("content"))
            if on_text:
                on_text(text)
            return text

    async def _read_stream(self, response: httpx.Response, on_text: Callable[[str], None] | None) -> str:
        parts: list[str] = []
        async for line in response.aiter_lines():
            if not line.startswith("data:"):
                continue  # event names, comments, blank separators
            payload = line.removeprefix("data:").strip()
            if payload == "[DONE]":
                break
            event = _shaped(orjson.loads(payload), dict, "an event")
            if (error := event.get("error")) is not None:  # the provider failed mid-answer (OpenRouter does)
                raise LLMError(f"failed mid-answer: {_error_text(error)}")
            self._count(event.get("usage"))
            for choice in _shaped(event.get("choices") or [], list, "choices"):
                delta = _shaped(_shaped(choice, dict, "a choice").get("delta") or {}, dict, "a delta")
                if piece := _text(delta.get("content")):
                    parts.append(piece)
                    if on_text:
                        on_text("".join(parts))
        return "".join(parts)

    def _count(self, usage: object) -> None:
        """Count the tokens an answer reports, skipping what is not a count (not worth losing the answer)."""
        if not isinstance(usage, dict):
            return
        for kind in ("prompt", "completion"):
            if isinstance(tokens := usage.get(f"{kind}_tokens"), int) and tokens > 0:
                self.usage[f"{kind}_tokens"] += tokens
                LLM_TOKENS.labels(kind).inc(tokens)


def _shaped(value: object, kind: type[T], what: str) -> T:
    """`value`, read from an answer, when it is a `kind` as the API has it there; else `LLMError`."""
    if not isinstance(value, kind):
        raise LLMError(f"unreadable answer: {what} is {type(value).__name__}, not {kind.__name__}")
    return value


def _text(content: object) -> str:
    """A message's or a delta's `content`: text, or none (null)."""
    return "" if content is None else _shaped(content, str, "content")


def _error_text(error: object) -> str:
    """What an error object the provider sent says: its `message` when it has one, else all of it (short)."""
    message = error.get("message") if isinstance(error, dict) else None
    return (message if isinstance(message, str) else orjson.dumps(error).decode())[:300]


def _status_error(response: httpx.Response) -> Exception:
    """A non-200 answer as a retryable error (429 without quota words, 5xx) or a final `LLMError`."""
    status, text = response.status_code, response.text[:300]
    if status in (402, 403, 429) and any(marker in text.lower() for marker in _QUOTA_MARKERS):
        return LLMError(f"quota exhausted ({status}): {text}")
    if status == 429:
        wait = retry_after(response.headers.get("retry-after"))
        if wait is not None and wait > MAX_RETRY_AFTER:
            return LLMError(f"rate limited for {wait:.0f} s")
        return _Retryable(f"rate limited (429): {text}", wait)
    if status >= 500:
        return _Retryable(f"server error ({status}): {text}")
    return LLMError(f"refused ({status}): {text}")


def retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds (delta-seconds or an HTTP date); None when missing or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time())
    except (TypeError, ValueError):
        return None
