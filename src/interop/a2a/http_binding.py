"""The HTTP+JSON endpoint of A2A 1.0: `/a2a/{assistant_id}/{operation path}` (spec 11).

The same version-blind handler as JSON-RPC; the `http_json` codec maps the request line to an
operation and its params, the `v1` codec the bodies. Errors are `google.rpc.Status` objects with
the spec's HTTP status (5.4, 11.6); a streaming operation that fails before its first event is
answered with the status too, one that fails later ends its stream with an `event: error` frame.

Checks in order: body size (413), the assistant (404), the operation path (404) and method
(405), the body's content type (415), `A2A-Version` (none: 1.0, these paths exist only in 1.0;
another version: 400), JSON (400), then the operation's own params (400 naming the field).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from interop.a2a import wire as w
from interop.a2a.codecs import http_json
from interop.a2a.errors import (
    ContentTypeNotSupported,
    InvalidRequest,
    MethodNotFound,
    ParseError,
    VersionNotSupported,
    to_status,
)
from interop.a2a.handler import A2AHandler, Call
from interop.a2a.jsonrpc import A2AEndpoint, TooLarge, accepts_json, negotiate, read_body
from interop.a2a.model import Event
from interop.a2a.sse import event_stream
from interop.core.errors import RETRY_AFTER, InteropError, unavailable

# Answers are `application/json`: what the A2A 1.0.0 text (11.1) and AIP-193 name, what the
# a2a-sdk server sends and the TCK requires (the later spec text prefers application/a2a+json,
# a SHOULD). Requests may use either, or any `+json`.
MEDIA_TYPE = "application/json"


def _status(exc: BaseException, status: int | None = None) -> Response:
    code, body = to_status(exc)
    if status is not None:
        code = body["error"]["code"] = status
        body["error"]["status"] = HTTP_ONLY_STATUS[status]
    headers = {"Retry-After": str(RETRY_AFTER)} if code == 503 else None
    return Response(orjson.dumps(body), status_code=code, media_type=MEDIA_TYPE, headers=headers)


# Answers about the HTTP request itself rather than an A2A operation.
HTTP_ONLY_STATUS = {
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    413: "OUT_OF_RANGE",
    415: "INVALID_ARGUMENT",
}


class HttpJsonEndpoint:
    """The ASGI endpoint of the HTTP+JSON binding under one agent URL."""

    def __init__(self, jsonrpc: A2AEndpoint) -> None:
        self.handler: A2AHandler = jsonrpc.handler
        self.jsonrpc = jsonrpc

    async def __call__(self, request: Request) -> Response:
        try:
            raw = await read_body(request, self.jsonrpc.max_body)
        except TooLarge:
            too_large = InvalidRequest(
                f"Request body exceeds the limit of {self.jsonrpc.max_body} bytes."
            )
            return _status(too_large, 413)
        path_id = str(request.path_params["assistant_id"])
        try:
            assistant = await self.handler.assistant(path_id)
        except Exception as exc:  # the boundary: an outage, or no such agent
            if unavailable(exc) is not None:
                return _status(exc)
            if not isinstance(exc, InteropError):
                raise
            missing = InvalidRequest(f"No agent '{path_id[:100]}' here.", field="assistant_id")
            return _status(missing, 404)
        method = request.method
        try:
            found = http_json.route(method, str(request.path_params["rest"]))
        except http_json.MethodNotAllowed as exc:
            return _status(exc, 405)
        except MethodNotFound as exc:
            return _status(exc)
        if method == "POST" and raw.strip() and not accepts_json(request):
            # The body's own media type is wrong: HTTP's 415 (an unsupported media type in a
            # message part is the A2A error's 400). A POST with no body (`:cancel`, `:subscribe`
            # as the SDKs send them) carries nothing to declare.
            wrong = ContentTypeNotSupported("Send the request body as application/json.")
            return _status(wrong, 415)
        try:
            self._check_version(request)
            body = self._body(raw) if method == "POST" else None
            params = http_json.decode(found, method, request.query_params.multi_items(), body)
        except Exception as exc:  # noqa: BLE001 - the boundary: mapped by the error table
            return _status(exc)
        call = Call(
            version="1.0",
            assistant=assistant,
            url=f"{self.jsonrpc.base_url(request)}/a2a/{path_id}",
            authenticated=self.handler.auth,
        )
        try:
            result = await getattr(self.handler, found.operation)(call, params)
        except Exception as exc:  # noqa: BLE001 - the boundary: mapped by the error table
            return _status(exc)
        if found.operation in w.STREAMING_OPERATIONS:
            return self._sse(result)
        return Response(
            orjson.dumps(http_json.encode(found.operation, result)), media_type=MEDIA_TYPE
        )

    @staticmethod
    def _check_version(request: Request) -> None:
        value = request.headers.get("a2a-version") or request.query_params.get("A2A-Version")
        if value and value.strip() and negotiate(request) != "1.0":
            raise VersionNotSupported(
                f"A2A-Version {value[:20]!r} is not served over HTTP+JSON: use 1.0, or JSON-RPC"
                " for 0.3.",
                metadata={"supportedVersions": "1.0"},
            )

    @staticmethod
    def _body(raw: bytes) -> Any:
        if not raw.strip():
            return None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ParseError() from None

    def _sse(self, events: AsyncIterator[Event]) -> Response:
        def frame(event: Event) -> dict[str, Any]:
            return http_json.encode_event(event)

        def fail(exc: Exception) -> bytes:
            return b"event: error\ndata: " + orjson.dumps(to_status(exc)[1]) + b"\n\n"

        return event_stream(events, frame, fail, heartbeat=self.jsonrpc.heartbeat)
