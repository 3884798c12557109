"""Schema fuzzing: requests generated from our own OpenAPI schema never get a server error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from api.main import create_app
from core.config import Settings
from summarizer.cpu_process import InlineRunner
from tests.support.data import TRANSCRIPTS
from tests.support.servers import serve_in_thread

if TYPE_CHECKING:
    from schemathesis.specs.openapi.schemas import OpenApiCase  # defined for type checkers only

APP = create_app(
    Settings(transcript_dir=str(TRANSCRIPTS), queue_max=10_000, max_jobs_per_requester=10_000, rate_limit=""),
    InlineRunner(),
)
schema = schemathesis.openapi.from_dict(APP.openapi())


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The app under uvicorn in a thread of its own (schemathesis calls it synchronously)."""
    with serve_in_thread(APP) as url:
        yield url


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case: OpenApiCase, base_url: str) -> None:
    # Every check but "schema-valid data is accepted": a YouTube link cannot be written as a JSON schema,
    # so `{"url": ""}` is valid by the schema and rightly answered 422 invalid_url.
    case.call_and_validate(base_url=base_url, excluded_checks=[positive_data_acceptance])
