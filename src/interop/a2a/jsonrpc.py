"""The JSON-RPC endpoint: version negotiation, body checks, dispatch (jsonrpcserver), SSE.

Order of checks on `POST /a2a/{assistant_id}`: body size (413), the assistant (404), the
`A2A-Version` service parameter (header or query; none means 0.3; others -32009), the content
type (JSON required, also when absent: -32005), JSON (-32700; nesting past the parsers' limit
-32600), a batch of at most `MAX_BATCH` requests (-32600), the request object (-32600, id null
for an id that is not a string or a 64-bit integer, such as `1e400`), the params' nesting and
numbers (`serde.check_json`, -32602), then jsonrpcserver finds the method (-32601) of the
version's codec and binds params (-32602). Errors are JSON-RPC error objects
with HTTP 200, like every answer to a well-formed call, but for a call the server cannot take
now (a full run queue, a backend outage): HTTP 503 with Retry-After, unless part of a batch.
A2A defines no notifications: a call without an id is answered too (id null).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson
from jsonrpcserver import Error, Success
from jsonrpcserver.async_main import dispatch_to_response
from jsonrpcserver.methods import Method
from jsonrpcserver.response import ErrorResponse, SuccessResponse
from jsonrpcserver.result import Result
from oslash.either import Left
from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response

from interop.a2a import wire as w
from interop.a2a.codecs import v03, v1
from interop.a2a.errors import (
    A2AError,
    ContentTypeNotSupported,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    ParseError,
    TaskNotFound,
    VersionNotSupported,
    to_wire,
)
from interop.a2a.handler import A2AHandler, Call
from interop.a2a.model import Event
from interop.a2a.sse import event_stream
from interop.core import serde
from interop.core.errors import RETRY_AFTER, InteropError, unavailable
from interop.core.models import Assistant
from interop.transport_security import is_json_type

log = logging.getLogger("interop.a2a")

CODECS: dict[str, w.Codec] = {"1.0": v1.CODEC, "0.3": v03.CODEC}
_BY_CODE: dict[int, type[A2AError]] = {
    cls.code: cls for cls in (ParseError, InvalidRequest, MethodNotFound, InvalidParams)
}
MAX_BATCH = 100  # requests in one batch body


class TooLarge(Exception):
    pass


@dataclass(slots=True)
class Stream:
    """A streaming method's result: the events to send as SSE."""

    events: AsyncIterator[Event]


def negotiate(request: Request) -> str:
    """The protocol version the client asks for: "1.0" or "0.3" (none: 0.3, spec 3.6.2)."""
    value = request.headers.get("a2a-version")
    if value is None:
        value = request.query_params.get("A2A-Version") or request.query_params.get("a2a-version")
    value = (value or "").strip()
    if not value:
        return "0.3"
    head = ".".join(value.split(".")[:2])
    if head in ("1.0", "0.3"):
        return head
    raise VersionNotSupported(
        f"A2A-Version {value[:20]!r} is not supported: use 1.0 or 0.3.",
        metadata={"supportedVersions": "1.0,0.3"},
    )


def accepts_json(request: Request) -> bool:
    """The body is declared JSON (`application/json`, `application/a2a+json`, any `+json`): a
    body of no declared type is refused as any other (a browser page could send it cross-site)."""
    return is_json_type(request.headers.get("content-type"))


def _json_response(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _unavailable_response(body: Any) -> Response:
    response = _json_response(body, status=503)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def error_body(exc: BaseException, version: str, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": to_wire(exc, version)}


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _valid_id(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    return value is None or isinstance(value, str)


def _check_request(obj: Any) -> None:
    """InvalidRequest unless `obj` is a JSON-RPC 2.0 request object."""
    if not isinstance(obj, dict):
        raise InvalidRequest("A request must be an object.")
    if obj.get("jsonrpc") != "2.0":
        raise InvalidRequest("jsonrpc must be exactly '2.0'.", field="jsonrpc")
    if not isinstance(obj.get("method"), str):
        raise InvalidRequest("method must be a string.", field="method")
    if "id" in obj and not _valid_id(obj["id"]):
        raise InvalidRequest("id must be a string, an integer or null.", field="id")
    if "params" in obj and not isinstance(obj["params"], dict | list):
        raise InvalidRequest("params must be an object.", field="params")


def _methods(handler: A2AHandler, codec: w.Codec) -> dict[str, Method]:
    def make(operation: str) -> Method:
        decode = codec.decode[operation]
        encode = codec.encode.get(operation)
        call_op: Callable[..., Any] = getattr(handler, operation)

        async def method(call: Call, /, **params: Any) -> Result:
            try:
                result = await call_op(call, decode(params))
            except (A2AError, InteropError) as exc:
                call.unavailable = unavailable(exc) is not None
                wire = to_wire(exc, codec.version)
                return Error(wire["code"], wire["message"], wire.get("data"))
            except Exception as exc:  # noqa: BLE001 - the boundary: logged, answered opaquely
                call.unavailable = unavailable(exc) is not None
                wire = to_wire(exc, codec.version)
                return Error(wire["code"], wire["message"], wire.get("data"))
            if encode is None:
                return Success(Stream(result))
            return Success(encode(result))

        return method

    return {name: make(operation) for name, operation in codec.methods.items()}


class A2AEndpoint:
    """The ASGI endpoint of `POST /a2a/{assistant_id}` (with or without a trailing slash)."""

    def __init__(
        self, handler: A2AHandler, *, max_body: int, heartbeat: float, public_url: str
    ) -> None:
        self.handler = handler
        self.max_body = max_body
        self.heartbeat = heartbeat
        self.public_url = public_url.rstrip("/")
        self.methods = {version: _methods(handler, codec) for version, codec in CODECS.items()}

    def base_url(self, request: Request) -> str:
        """The server's configured URL (`Settings.base_url`), never the request's Host."""
        return self.public_url

    async def __call__(self, request: Request) -> Response:
        try:
            raw = await read_body(request, self.max_body)
        except TooLarge:
            error = InvalidRequest(f"Request body exceeds the limit of {self.max_body} bytes.")
            return _json_response(error_body(error, "1.0"), status=413)
        path_id = str(request.path_params["assistant_id"])
        try:
            assistant = await self.handler.assistant(path_id)
        except Exception as exc:  # the boundary: an outage, or no such agent
            if unavailable(exc) is not None:
                return _unavailable_response(error_body(exc, "1.0", _peek_id(raw)))
            if not isinstance(exc, InteropError):
                raise
            error = InvalidRequest(f"No agent '{path_id[:100]}' here.", field="assistant_id")
            return _json_response(error_body(error, "1.0"), status=404)
        try:
            version = negotiate(request)
        except VersionNotSupported as exc:
            return _json_response(error_body(exc, "1.0", _peek_id(raw)))
        if not accepts_json(request):
            unsupported = ContentTypeNotSupported(
                "This Content-Type is not supported: send application/json."
            )
            return _json_response(error_body(unsupported, version))
        try:
            body = serde.parse_json(raw)
        except serde.TooDeep as exc:
            return _json_response(error_body(InvalidRequest(exc.message), version))
        except serde.MalformedJson:
            return _json_response(error_body(ParseError(), version))
        call = Call(
            version=version,
            assistant=assistant,
            url=f"{self.base_url(request)}/a2a/{path_id}",
            authenticated=self.handler.auth,
        )
        if isinstance(body, list):
            return await self._batch(call, body)
        answer = await self._one(call, body, streaming_allowed=True)
        if isinstance(answer, Response):
            return answer
        if answer is None:
            return Response(status_code=204)
        return _json_response(answer)

    async def _one(
        self, call: Call, obj: Any, *, streaming_allowed: bool
    ) -> dict[str, Any] | Response | None:
        version = call.version
        try:
            _check_request(obj)
        except InvalidRequest as exc:
            request_id = (
                obj.get("id") if isinstance(obj, dict) and _valid_id(obj.get("id")) else None
            )
            return error_body(exc, version, request_id)
        try:
            serde.check_json(obj)
        except serde.JsonRejected as exc:
            return error_body(InvalidParams(exc.message, field="params"), version, obj.get("id"))
        if "id" not in obj:
            # A2A defines no notifications: every method answers. An id-less call is answered
            # (with id null) rather than silently dropped.
            obj = {**obj, "id": None}
        methods = self.methods[version]
        if (
            not streaming_allowed
            and CODECS[version].methods.get(obj["method"]) in w.STREAMING_OPERATIONS
        ):
            return error_body(
                InvalidRequest("Streaming methods cannot be part of a batch."),
                version,
                obj.get("id"),
            )
        response = await dispatch_to_response(
            cast(str, obj),
            methods,
            context=call,
            deserializer=_identity,
            validator=_identity,
        )
        if response is None:
            return None
        response = cast(Any, response)
        if isinstance(response, Left):
            error = self._error(response._error, version)
            if streaming_allowed and call.unavailable:
                # A call alone in its request that the server cannot take now: HTTP 503 with
                # Retry-After, as when the agent cannot be looked up (a batch answers 200).
                return _unavailable_response(error)
            if (
                version == "0.3"
                and CODECS[version].methods.get(obj["method"]) in w.STREAMING_OPERATIONS
            ):
                # 0.3 clients read a streaming method's error from the event stream.
                return self._sse_error(error)
            return error
        success = cast(SuccessResponse, response._value)
        result = success.result
        if isinstance(result, Stream):
            return self._sse(call, result.events, success.id)
        return {"jsonrpc": "2.0", "id": success.id, "result": result}

    def _error(self, error: ErrorResponse, version: str) -> dict[str, Any]:
        if isinstance(error.data, list | dict) or error.code not in _BY_CODE:
            body: dict[str, Any] = {"code": error.code, "message": error.message}
            if isinstance(error.data, list | dict):
                body["data"] = error.data
            return {"jsonrpc": "2.0", "id": error.id, "error": body}
        # An error jsonrpcserver raised itself (unknown method, params that do not bind).
        cls = _BY_CODE[error.code]
        field = "method" if cls is MethodNotFound else "params"
        return error_body(cls(field=field), version, error.id)

    async def _batch(self, call: Call, items: list[Any]) -> Response:
        if not items:
            return _json_response(error_body(InvalidRequest("An empty batch."), call.version))
        if len(items) > MAX_BATCH:
            too_long = InvalidRequest(f"A batch holds at most {MAX_BATCH} requests.")
            return _json_response(error_body(too_long, call.version))
        answers = []
        for item in items:
            answer = await self._one(call, item, streaming_allowed=False)
            if isinstance(answer, dict):
                answers.append(answer)
        if not answers:
            return Response(status_code=204)
        return _json_response(answers)

    def _sse_error(self, error: dict[str, Any]) -> Response:
        async def body() -> AsyncIterator[bytes]:
            yield b"data: " + orjson.dumps(error) + b"\n\n"

        return EventSourceResponse(body(), headers={"Cache-Control": "no-store"})

    def _sse(self, call: Call, events: AsyncIterator[Event], request_id: Any) -> Response:
        encode = CODECS[call.version].event

        def frame(event: Event) -> dict[str, Any]:
            return {"jsonrpc": "2.0", "id": request_id, "result": encode(event)}

        def fail(exc: Exception) -> bytes:
            return b"data: " + orjson.dumps(error_body(exc, call.version, request_id)) + b"\n\n"

        return event_stream(events, frame, fail, heartbeat=self.heartbeat)


def _identity(value: Any) -> Any:
    return value


def _peek_id(raw: bytes) -> Any:
    try:
        body = serde.parse_json(raw)
    except serde.JsonRejected:
        return None
    request_id = body.get("id") if isinstance(body, dict) else None
    return request_id if _valid_id(request_id) else None


__all__ = ["A2AEndpoint", "Assistant", "TaskNotFound", "negotiate"]
