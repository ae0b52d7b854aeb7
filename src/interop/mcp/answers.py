"""How a 2025-era request is answered: one JSON body when its handler sends nothing first;
and a `Last-Event-ID` that cannot be resumed is refused.

Streamable HTTP lets the server answer each POSTed request either with an SSE stream (which can
carry progress, log messages and server requests before the response) or with one JSON body.
The SDK's transport makes that choice once per server (`json_response`); here it is made per
request. A `tools/call` that may send progress, log messages or questions first keeps its
stream; requests whose handlers send the client nothing before their response — listings,
`ping`, task polling, and a `tools/call` without a progress token, in a session that set no log
level, from a client without elicitation, sampling or roots (the door decides: `McpDoor.quiet`)
— get a JSON body. That spares each of them an SSE response (its task group, ping and disconnect
watchers, a priming event in the event store): more than half of a session's `tools/list` cost.

The SDK reads the choice from the transport attribute `is_json_response_enabled`; the subclass
below answers it from a context variable that `quiet_request` sets for the request's task only
(the session's own tasks keep the server-wide setting). The body is read ahead to learn the
method and handed to the SDK unchanged; a body without a length or longer than `PEEK_LIMIT` is
not read ahead (the SDK answers it with a stream as before).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from http import HTTPStatus
from typing import Any

import orjson
from mcp.server.streamable_http import StreamableHTTPServerTransport
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from interop.mcp.events import SessionEvents

PEEK_LIMIT = 64 * 1024

QUIET_METHODS = frozenset(
    {
        "ping",
        "tools/list",
        "resources/list",
        "resources/templates/list",
        "prompts/list",
        "logging/setLevel",
        "tasks/get",
        "tasks/list",
        "tasks/cancel",
    }
)

_json_answer: ContextVar[bool] = ContextVar("interop_mcp_json_answer", default=False)


def json_answer() -> bool:
    """True inside a request that `quiet_request` marked for a JSON answer."""
    return _json_answer.get()


class Transport(StreamableHTTPServerTransport):
    """The SDK transport, answering a quiet request with a JSON body (see the module)."""

    _json_always = False

    @property
    def is_json_response_enabled(self) -> bool:
        return self._json_always or json_answer()

    @is_json_response_enabled.setter
    def is_json_response_enabled(self, value: bool) -> None:
        self._json_always = value

    async def _replay_events(self, last_event_id: str, request: Request, send: Send) -> None:
        # A `Last-Event-ID` this session's events cannot resume gets 400 (see `events`); the
        # SDK's own checks (Host, Origin, session, credential) run before this and answer first.
        events = self._event_store
        if isinstance(events, SessionEvents) and not await events.can_replay(last_event_id):
            refusal = self._create_error_response(
                "Bad Request: unknown or expired Last-Event-ID", HTTPStatus.BAD_REQUEST
            )
            await refusal(request.scope, request.receive, send)
            return
        await super()._replay_events(last_event_id, request, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


async def quiet_request(
    scope: Scope, receive: Receive, quiet: Callable[[str, dict[str, Any]], bool]
) -> Receive:
    """Mark a session's quiet request (`quiet(session_id, message)`) for a JSON answer; the
    `receive` to hand on (the body replayed when it was read ahead)."""
    session = _header(scope, b"mcp-session-id")
    if scope.get("method") != "POST" or session is None:
        return receive
    version = _header(scope, b"mcp-protocol-version")
    if version is None or version.decode("latin-1") not in HANDSHAKE_PROTOCOL_VERSIONS:
        return receive
    length = _header(scope, b"content-length")
    if length is None or not length.isdigit() or int(length) > PEEK_LIMIT:
        return receive
    chunks: list[Message] = []
    size = 0
    while True:
        message = await receive()
        chunks.append(message)
        if message["type"] != "http.request":
            break  # the client left: the SDK sees the same
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size > PEEK_LIMIT:
            break
    whole = chunks[-1]["type"] == "http.request" and not chunks[-1].get("more_body", False)
    request = _request(b"".join(m.get("body", b"") for m in chunks)) if whole else None
    if request is not None and quiet(session.decode("latin-1"), request):
        _json_answer.set(True)

    async def replay() -> Message:
        if chunks:
            return chunks.pop(0)
        return await receive()

    return replay


def _request(body: bytes) -> dict[str, Any] | None:
    """The JSON-RPC request in `body` (None: not one; the SDK answers what it is)."""
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(message, dict) and "id" in message and isinstance(message.get("method"), str):
        return message
    return None
