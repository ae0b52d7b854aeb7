"""The REST error table: core errors → HTTP status + `{"detail": ...}`. Applied in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from interop.core.errors import (
    RETRY_AFTER,
    Conflict,
    Forbidden,
    InteropError,
    InvalidInput,
    NotFound,
    Unauthorized,
    Unavailable,
    unavailable,
)
from interop.rest.responses import JSONResponse

log = logging.getLogger("interop.rest")

STATUS: dict[type[InteropError], int] = {
    NotFound: 404,
    Conflict: 409,
    InvalidInput: 422,
    Unauthorized: 401,
    Forbidden: 403,
    Unavailable: 503,
}


class RequestError(Exception):
    """A request the REST layer itself rejects (bad JSON, bad body, too large)."""

    def __init__(self, status: int, detail: object) -> None:
        super().__init__(str(detail))
        self.status = status
        self.detail = detail


def error_response(
    status: int, detail: object, headers: Mapping[str, str] | None = None
) -> Response:
    headers = {**(headers or {}), **({"WWW-Authenticate": "Bearer"} if status == 401 else {})}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER)
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def handle_core_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InteropError)
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return error_response(STATUS[cls], exc.message)
    return error_response(500, "Internal server error.")


async def handle_request_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestError)
    return error_response(exc.status, exc.detail)


async def handle_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, exc.detail, exc.headers)  # e.g. Allow on a 405


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """The boundary: a backend outage is a 503; anything else unplanned is logged with its
    traceback and answered opaquely."""
    outage = unavailable(exc)
    if outage is not None:
        log.warning("%s %s: backend unreachable: %s", request.method, request.url.path, exc)
        return error_response(503, outage.message)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "Internal server error.")


EXCEPTION_HANDLERS = {
    InteropError: handle_core_error,
    RequestError: handle_request_error,
    HTTPException: handle_http_error,
    Exception: handle_unexpected,
}
