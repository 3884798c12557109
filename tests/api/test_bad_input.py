"""Bad input costs a bounded amount of work: a wrong key is refused before the body is read, an inline
transcript is counted before it is validated, and validation stops at the first bad snippet."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.main import create_app
from api.schemas import SummaryRequest
from summarizer.cpu_process import InlineRunner
from tests.support.data import SHORT
from tests.support.rest import settings as service_settings
from tests.support.servers import serve, serve_in_thread

MAX_SNIPPETS = 5


async def test_a_wrong_key_is_refused_before_the_body_is_read() -> None:
    app = create_app(service_settings(api_key="s3cret"), InlineRunner())
    async with serve(app) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            # 3 MB announced, 10 bytes sent: the answer comes without waiting for the rest.
            writer.write(
                b"POST /v1/summaries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"X-API-Key: wrong\r\nContent-Length: 3000000\r\n\r\n" + b'{"url": "x'
            )
            await writer.drain()
            status = await asyncio.wait_for(reader.readline(), 10)
        finally:
            writer.close()
    assert status.startswith(b"HTTP/1.1 401")


async def test_a_client_gone_before_its_body_arrived_is_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Its read of the body ends as `ClientDisconnect` (also when api/request_deadline.py ended the request):
    two ERROR tracebacks before, the app's and uvicorn's."""
    app = create_app(service_settings(), InlineRunner())
    async with serve(app) as url:  # leaving it waits for the request's task
        host, port = url.removeprefix("http://").split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            b"POST /v1/summaries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 3000000\r\n\r\n" + b'{"url": "x'
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_a_list_of_bad_snippets_makes_one_error_not_one_each() -> None:
    body = {"url": SHORT, "transcript": {"language_code": "en", "snippets": [0] * 1000}}
    with pytest.raises(ValidationError) as raised:
        SummaryRequest.model_validate(body)
    assert raised.value.error_count() == 1


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = create_app(
        service_settings(
            max_transcript_snippets=MAX_SNIPPETS,
            queue_max=10_000,
            max_jobs_per_requester=10_000,
            rate_limit="",
        ),
        InlineRunner(),
    )
    with serve_in_thread(app) as url:
        yield url


GOOD = {"text": "words", "start": 1.0, "duration": 2.0}
BAD_SNIPPET: st.SearchStrategy[Any] = st.one_of(
    st.just({}), st.integers(), st.just({"text": 5, "start": -1, "duration": "x"})
)


@given(st.lists(st.just(GOOD) | BAD_SNIPPET, min_size=1, max_size=3 * MAX_SNIPPETS))
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_too_many_snippets_are_refused_before_any_is_validated(base_url: str, snippets: list[Any]) -> None:
    body = {"url": SHORT, "transcript": {"language_code": "en", "snippets": snippets}}
    response = httpx.post(f"{base_url}/v1/summaries", json=body, timeout=10)
    error = response.json().get("error") or {}
    if len(snippets) > MAX_SNIPPETS:
        assert (response.status_code, error["code"]) == (413, "transcript_too_large")
    elif all(snippet == GOOD for snippet in snippets):
        assert response.status_code in (200, 202)
    else:
        assert (response.status_code, error["code"]) == (422, "invalid_request")


# JSON has no infinity (httpx refuses to encode one); a number too large for a float: the raw-body test below.
@given(
    st.floats(min_value=1_000_000.0, exclude_min=True, allow_infinity=False),
    st.sampled_from(["start", "duration"]),
)
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_a_moment_past_any_video_s_length_is_refused(base_url: str, seconds: float, which: str) -> None:
    snippet = GOOD | {which: seconds}
    body = {"url": SHORT, "transcript": {"language_code": "en", "snippets": [snippet]}}
    response = httpx.post(f"{base_url}/v1/summaries", json=body, timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")


def test_a_number_past_a_float_s_range_is_refused(base_url: str) -> None:
    """`1e999` is valid JSON that Python's own parser reads as infinity."""
    body = f'{{"url": "{SHORT}", "transcript": {{"language_code": "en", "snippets": '
    body += '[{"text": "hello", "start": 1e999, "duration": 1.0}]}}'
    response = httpx.post(
        f"{base_url}/v1/summaries", content=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")
