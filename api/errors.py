"""Every error leaves the API as the contract's body: `{"error": {"code", "message"}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from summarizer.errors import SummaryError

log = logging.getLogger(__name__)

# HTTP status for each engine error code raised while taking a request.
STATUS = {
    "invalid_url": 422,
    "invalid_transcript": 422,
    "invalid_subtitles": 422,
    "invalid_callback_url": 422,
    "invalid_request": 422,
    "invalid_question": 422,
    "transcript_too_large": 413,
    "unauthorized": 401,
    "not_found": 404,
    "rate_limited": 429,
    "busy": 503,
    # Raised by a request answered at once (POST /v1/ask); a summary job carries them in its body instead.
    "no_transcript": 422,
    "transcripts_disabled": 422,
    "video_unavailable": 422,
    "age_restricted": 422,
    "po_token_required": 422,
    "too_long": 422,
    "blocked": 502,
    "provider_unavailable": 502,
    "youtube_error": 502,
    "timeout": 504,
    "internal_error": 500,
}
HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}


def error_body(code: str, message: str) -> bytes:
    """The contract's error body, JSON."""
    return orjson.dumps({"error": {"code": code, "message": message}})


def error_response(
    code: str,
    message: str,
    status: int,
    retry_after: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    headers = dict(headers or {})
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(error_body(code, message), status, headers=headers, media_type="application/json")


async def _summary_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SummaryError)
    return error_response(exc.code, exc.message, STATUS.get(exc.code, 400), exc.retry_after)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()[:5]
    )
    return error_response("invalid_request", problems, 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(code, str(exc.detail), exc.status_code, headers=exc.headers)  # e.g. 405's Allow


async def _body_cut_short(request: Request, exc: Exception) -> Response:
    """The connection ended while the body was read: the client went away, or its body was late
    (api/request_deadline.py, which answered and logged it). Nothing of ours failed; the answer is dropped.
    """
    return error_response("invalid_request", "The request's body did not arrive whole.", 400)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response("internal_error", "Something went wrong on our side.", 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SummaryError, _summary_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _body_cut_short)
    app.add_exception_handler(Exception, _unexpected_error)
