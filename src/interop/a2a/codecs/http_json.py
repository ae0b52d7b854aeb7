"""The HTTP+JSON binding of A2A 1.0 (spec 11): resource paths and HTTP methods → operations.

The bodies are the 1.0 ProtoJSON shapes, so requests are decoded and results encoded by the
`v1` codec: this module only turns a request line (method, path under the agent's URL, query,
body) into the `params` object the `v1` decoders take, the way the proto's `google.api.http`
rules bind them (path fields, the body `*` of POSTs, query parameters named in camelCase for
GET and DELETE, spec 11.5). Each path may carry a leading `{tenant}` segment (the proto's
additional bindings); it is accepted and, like `tenant` in a JSON-RPC call, ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from interop.a2a import wire as w
from interop.a2a.codecs import v1
from interop.a2a.errors import InvalidRequest, MethodNotFound

CODEC = v1.CODEC

_ID = r"(?P<id>[^/:]+)"
_TASK = r"(?P<taskId>[^/:]+)"
# (HTTP methods, path under the agent URL, operation), in the order they are tried.
ROUTES: tuple[tuple[frozenset[str], str, str], ...] = (
    (frozenset({"POST"}), r"message:send", w.SEND),
    (frozenset({"POST"}), r"message:stream", w.STREAM),
    (frozenset({"GET"}), r"tasks", w.LIST),
    (frozenset({"POST"}), rf"tasks/{_ID}:cancel", w.CANCEL),
    # The proto binds subscribe to GET, the spec's text (11.3.2) to POST: both are served.
    (frozenset({"GET", "POST"}), rf"tasks/{_ID}:subscribe", w.SUBSCRIBE),
    (frozenset({"GET"}), rf"tasks/{_ID}", w.GET),
    (frozenset({"POST"}), rf"tasks/{_TASK}/pushNotificationConfigs", w.PUSH_SET),
    (frozenset({"GET"}), rf"tasks/{_TASK}/pushNotificationConfigs", w.PUSH_LIST),
    (frozenset({"GET"}), rf"tasks/{_TASK}/pushNotificationConfigs/(?P<id>[^/]+)", w.PUSH_GET),
    (frozenset({"DELETE"}), rf"tasks/{_TASK}/pushNotificationConfigs/(?P<id>[^/]+)", w.PUSH_DELETE),
    (frozenset({"GET"}), r"extendedAgentCard", w.EXTENDED_CARD),
)
_COMPILED = tuple(
    (methods, re.compile(rf"(?:(?P<tenant>[^/]+)/)?{path}"), operation)
    for methods, path, operation in ROUTES
)
# Operations whose request message is the POST body (`body: "*"`); the others read the query.
_BODY_OPERATIONS = frozenset({w.SEND, w.STREAM, w.CANCEL, w.PUSH_SET, w.SUBSCRIBE})


class MethodNotAllowed(MethodNotFound):
    """The path names an operation, the HTTP method is not the one it is bound to (405)."""


@dataclass(frozen=True, slots=True)
class Route:
    operation: str
    path_params: dict[str, str]


def route(method: str, path: str) -> Route:
    """The operation `method path` (path relative to the agent URL, no leading slash) names.
    MethodNotFound when no path matches, MethodNotAllowed when only the method is wrong."""
    path = path.strip("/")
    known_path = False
    for methods, pattern, operation in _COMPILED:
        found = pattern.fullmatch(path)
        if found is None:
            continue
        if method in methods:
            params = {k: v for k, v in found.groupdict().items() if v is not None}
            return Route(operation, params)
        known_path = True
    if known_path:
        raise MethodNotAllowed(f"{method} is not allowed on '{path[:100]}'.", field="method")
    raise MethodNotFound(f"No A2A operation at '{path[:100]}'.", field="path")


def params(found: Route, method: str, query: list[tuple[str, str]], body: Any) -> dict[str, Any]:
    """The request message of `found` for the `v1` decoders: the body (POST) or the query
    parameters (GET, DELETE; a repeated name keeps its last value), then the path fields."""
    merged: dict[str, Any]
    if method == "POST" and found.operation in _BODY_OPERATIONS:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object.", field="body")
        merged = dict(body)
    else:
        merged = dict(query)
    merged.update({k: v for k, v in found.path_params.items() if k != "tenant"})
    return merged


def decode(found: Route, method: str, query: list[tuple[str, str]], body: Any) -> Any:
    """The neutral request of the operation (raises InvalidParams naming the field)."""
    return CODEC.decode[found.operation](params(found, method, query, body))


def encode(operation: str, result: Any) -> Any:
    """The response body of a unary operation."""
    return CODEC.encode[operation](result)


encode_event = v1.encode_event
