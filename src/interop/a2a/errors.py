"""A2A errors and the one table that maps them, and the core's errors, to JSON-RPC.

A2AError
├── ParseError                   -32700  the body is not JSON
├── InvalidRequest               -32600  not a JSON-RPC request object (or too large)
├── MethodNotFound               -32601
├── InvalidParams                -32602  names the offending field
├── InternalError                -32603  opaque: the cause is logged, never sent
├── TaskNotFound                 -32001
├── TaskNotCancelable            -32002
├── PushNotificationNotSupported -32003
├── UnsupportedOperation         -32004
├── ContentTypeNotSupported      -32005
├── InvalidAgentResponse         -32006
├── ExtendedCardNotConfigured    -32007
├── ExtensionSupportRequired     -32008
└── VersionNotSupported          -32009

`to_wire` is the boundary of JSON-RPC: any exception becomes one JSON-RPC error object, shaped
for the protocol version (1.0: `data` is the spec's array of `google.rpc` details; 0.3: an
object). `to_status` is the boundary of the HTTP+JSON binding: an HTTP status and a
`google.rpc.Status` with the same details.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from interop.core.errors import (
    Conflict,
    Forbidden,
    InteropError,
    InvalidInput,
    NotFound,
    Unauthorized,
    Unavailable,
    unavailable,
)

log = logging.getLogger("interop.a2a")

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
DOMAIN = "a2a-protocol.org"


class A2AError(Exception):
    code = -32603
    reason = "INTERNAL"
    default_message = "Internal error"

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        self.field = field
        self.metadata = metadata or {}


class ParseError(A2AError):
    code, reason, default_message = -32700, "PARSE_ERROR", "Invalid JSON payload"


class InvalidRequest(A2AError):
    code, reason, default_message = -32600, "INVALID_REQUEST", "Request payload validation error"


class MethodNotFound(A2AError):
    code, reason, default_message = -32601, "METHOD_NOT_FOUND", "Method not found"


class InvalidParams(A2AError):
    code, reason, default_message = -32602, "INVALID_PARAMS", "Invalid parameters"


class InternalError(A2AError):
    pass


class TaskNotFound(A2AError):
    code, reason, default_message = -32001, "TASK_NOT_FOUND", "Task not found"


class TaskNotCancelable(A2AError):
    code, reason, default_message = -32002, "TASK_NOT_CANCELABLE", "Task cannot be canceled"


class PushNotificationNotSupported(A2AError):
    code, reason = -32003, "PUSH_NOTIFICATION_NOT_SUPPORTED"
    default_message = "Push Notification is not supported"


class UnsupportedOperation(A2AError):
    code, reason = -32004, "UNSUPPORTED_OPERATION"
    default_message = "This operation is not supported"


class ContentTypeNotSupported(A2AError):
    code, reason, default_message = (
        -32005,
        "CONTENT_TYPE_NOT_SUPPORTED",
        "Incompatible content types",
    )


class InvalidAgentResponse(A2AError):
    code, reason, default_message = -32006, "INVALID_AGENT_RESPONSE", "Invalid agent response"


class ExtendedCardNotConfigured(A2AError):
    code, reason = -32007, "EXTENDED_AGENT_CARD_NOT_CONFIGURED"
    default_message = "Extended agent card is not configured"


class ExtensionSupportRequired(A2AError):
    code, reason = -32008, "EXTENSION_SUPPORT_REQUIRED"
    default_message = "Extension support required"


class VersionNotSupported(A2AError):
    code, reason = -32009, "VERSION_NOT_SUPPORTED"
    default_message = "Protocol version not supported"


class ServiceUnavailable(InternalError):
    """The database or the broker is unreachable for now (A2A has no code of its own for it:
    an internal error, with HTTP 503 and Retry-After where the binding has a status)."""

    default_message = "Service unavailable"


# The core's errors, as A2A errors. NotFound here is always about a task: the handler resolves
# the assistant before it calls anything that could raise NotFound for another resource.
CORE_ERRORS: dict[type[InteropError], type[A2AError]] = {
    NotFound: TaskNotFound,
    Conflict: UnsupportedOperation,
    InvalidInput: InvalidParams,
    Unavailable: ServiceUnavailable,
    # A2A has no error for a refused action; the transport said who the caller is (401 there).
    Unauthorized: InvalidRequest,
    Forbidden: InvalidRequest,
}


def as_a2a_error(exc: BaseException) -> A2AError:
    """`exc` as an A2AError. Unknown exceptions are logged with their traceback and become an
    opaque InternalError."""
    if isinstance(exc, A2AError):
        return exc
    outage = unavailable(exc)
    if outage is not None:
        log.warning("A2A call: backend unreachable: %s", exc)
        return ServiceUnavailable()
    if isinstance(exc, InteropError):
        for cls in type(exc).__mro__:
            mapped = CORE_ERRORS.get(cls)
            if mapped is not None:
                if mapped is ServiceUnavailable:
                    return ServiceUnavailable()
                return mapped(exc.message)
    log.error("unhandled error in an A2A call", exc_info=exc)
    return InternalError()


def _details(error: A2AError) -> list[dict[str, Any]]:
    """The 1.0 error details (`google.rpc` types): BadRequest naming the field, ErrorInfo."""
    details: list[dict[str, Any]] = []
    if error.field is not None:
        details.append(
            {
                "@type": BAD_REQUEST,
                "fieldViolations": [{"field": error.field, "description": error.message}],
            }
        )
    metadata = {
        **error.metadata,
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }
    details.append(
        {"@type": ERROR_INFO, "reason": error.reason, "domain": DOMAIN, "metadata": metadata}
    )
    return details


# HTTP+JSON binding (1.0 spec 5.4, 11.6): the HTTP status and google.rpc status of each error.
HTTP_STATUS: dict[type[A2AError], tuple[int, str]] = {
    ParseError: (400, "INVALID_ARGUMENT"),
    InvalidRequest: (400, "INVALID_ARGUMENT"),
    MethodNotFound: (404, "NOT_FOUND"),
    InvalidParams: (400, "INVALID_ARGUMENT"),
    InternalError: (500, "INTERNAL"),
    ServiceUnavailable: (503, "UNAVAILABLE"),
    TaskNotFound: (404, "NOT_FOUND"),
    TaskNotCancelable: (400, "FAILED_PRECONDITION"),
    PushNotificationNotSupported: (400, "FAILED_PRECONDITION"),
    UnsupportedOperation: (400, "FAILED_PRECONDITION"),
    ContentTypeNotSupported: (400, "INVALID_ARGUMENT"),
    InvalidAgentResponse: (500, "INTERNAL"),
    ExtendedCardNotConfigured: (400, "FAILED_PRECONDITION"),
    ExtensionSupportRequired: (400, "FAILED_PRECONDITION"),
    VersionNotSupported: (400, "FAILED_PRECONDITION"),
}


def to_status(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The HTTP status and `{"error": google.rpc.Status}` body for `exc` (HTTP+JSON binding)."""
    error = as_a2a_error(exc)
    code, status = HTTP_STATUS.get(type(error), (500, "INTERNAL"))
    body = {"code": code, "status": status, "message": error.message, "details": _details(error)}
    return code, {"error": body}


def to_wire(exc: BaseException, version: str) -> dict[str, Any]:
    """The JSON-RPC `error` object for `exc` in protocol `version` ("1.0" or "0.3")."""
    error = as_a2a_error(exc)
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if version == "1.0":
        body["data"] = _details(error)
    elif error.field is not None or error.metadata:
        data: dict[str, Any] = dict(error.metadata)
        if error.field is not None:
            data["field"] = error.field
        body["data"] = data
    return body
