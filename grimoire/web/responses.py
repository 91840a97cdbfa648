"""JSON responses, and the one error handler that renders every failure in the documented shape.

``{"detail": str, "error_code": str, "timestamp": ISO-8601}`` (plus ``errors`` on a 422), for our
own errors, Starlette's HTTP errors (unknown route, wrong method) and anything unexpected. A
stack trace is logged, never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from grimoire import errors
from grimoire.storage.db import is_database_outage
from grimoire.web.schemas import ErrorBody, FieldErrorBody

log = logging.getLogger(__name__)

JSON = "application/json"

STATUS_BY_ERROR: Mapping[type[errors.GrimoireError], int] = {
    errors.InvalidPayload: 400,
    errors.InvalidSignature: 401,
    errors.Unauthorized: 401,
    errors.NotFound: 404,
    errors.MethodNotAllowed: 405,
    errors.Conflict: 409,
    errors.RequestTimeout: 408,
    errors.PayloadTooLarge: 413,
    errors.RateLimited: 429,
    errors.RequestLineTooLong: 414,
    errors.UnsupportedMediaType: 415,
    errors.HeadersTooLarge: 431,
    errors.ValidationFailed: 422,
    errors.ServiceUnavailable: 503,
}

# Starlette's own HTTP errors, by status: the codes of the classes that stand for them.
_CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    401: errors.Unauthorized.error_code,
    404: errors.RouteNotFound.error_code,
    405: errors.MethodNotAllowed.error_code,
    413: errors.PayloadTooLarge.error_code,
    422: errors.ValidationFailed.error_code,
    503: errors.ServiceUnavailable.error_code,
}


class JSONResponse(Response):
    """A JSON response encoded by msgspec (Structs, datetimes and plain values alike)."""

    media_type = JSON

    def render(self, content: Any) -> bytes:
        return msgspec.json.encode(content)


def status_for(exc: errors.GrimoireError) -> int:
    """Return the HTTP status for one of our errors (500 for anything unmapped)."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_response(
    status: int,
    detail: str,
    code: str,
    *,
    field_errors: list[errors.FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Render the documented error shape."""
    body = ErrorBody(
        detail=detail,
        error_code=code,
        timestamp=datetime.now(UTC),
        errors=None
        if field_errors is None
        else [FieldErrorBody(e.path, e.message) for e in field_errors],
    )
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def handle_grimoire_error(request: Request, exc: Exception) -> Response:
    """Render one of our own errors."""
    assert isinstance(exc, errors.GrimoireError)
    status = status_for(exc)
    if status >= 500 and not isinstance(exc, errors.ServerBusy):  # busy: load, not a fault
        log.error("%s %s failed: %s", request.method, request.url.path, exc.detail)
    field_errors = exc.errors if isinstance(exc, errors.ValidationFailed) else None
    headers: dict[str, str] | None = None
    if isinstance(exc, errors.Unauthorized):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, errors.RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(
        status, exc.detail, exc.error_code, field_errors=field_errors, headers=headers
    )


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Render Starlette's own errors (unknown route, wrong method) in our shape."""
    assert isinstance(exc, HTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, "HTTP_ERROR")
    detail = exc.detail
    if exc.status_code == 404:
        detail = f"no route matches {request.method} {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return error_response(exc.status_code, detail, code, headers=exc.headers)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Answer 503 when the database is out of reach; otherwise log the traceback, answer 500."""
    if is_database_outage(exc):
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
        code = errors.DatabaseUnavailable.error_code
        return error_response(503, "the database is unavailable", code)
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal server error", "INTERNAL_ERROR")
