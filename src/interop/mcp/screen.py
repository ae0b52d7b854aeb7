"""The checks a POST to /mcp passes before the SDK sees it, answered as JSON-RPC errors.

The SDK answers some malformed messages loosely (an id of `1e400` or `null` makes a request a
notification: 202, and the request is dropped; a batch, a `null` body or `jsonrpc: "1.0"` get
-32602 Invalid params) and some in plain text (a body too large, a wrong Content-Type). Here,
with the rules of every door:

| request                                              | HTTP | JSON-RPC |
|------------------------------------------------------|------|----------|
| Content-Type not JSON                                | 415  | -32600   |
| body past `max_body_bytes`                           | 413  | -32600   |
| not JSON                                             | 400  | -32700   |
| nested past the parsers' recursion limit             | 400  | -32600   |
| not one JSON-RPC 2.0 message object (batch, `null`, wrong `jsonrpc`, id not a string or a 64-bit integer, no method and no result/error) | 400 | -32600 |
| params nested past `serde.MAX_DEPTH` or numbers out of range | 400 | -32602 (with the id) |

The body is read here (bounded) and replayed to the SDK unchanged. The SDK module is not
imported: the door starts lazily (see `lazy`).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import Message, Receive, Scope, Send

from interop.core import serde
from interop.transport_security import is_json_type

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602


class Refused(Exception):
    def __init__(self, status: int, code: int, message: str, request_id: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


async def screen(scope: Scope, receive: Receive, send: Send, max_body: int) -> Receive | None:
    """Check a POST (see the module); the `receive` to hand on, or None when it was answered."""
    if scope.get("method") != "POST":
        return receive
    try:
        chunks = await _check(scope, receive, max_body)
    except Refused as refused:
        await _answer(send, refused)
        return None

    async def replay() -> Message:
        if chunks:
            return chunks.pop(0)
        return await receive()

    return replay


async def _check(scope: Scope, receive: Receive, max_body: int) -> list[Message]:
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").decode("latin-1")
    if not is_json_type(content_type):
        raise Refused(415, INVALID_REQUEST, "Content-Type must be application/json.")
    too_large = Refused(413, INVALID_REQUEST, f"Request body exceeds {max_body} bytes.")
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > max_body:
        raise too_large
    chunks: list[Message] = []
    size = 0
    while True:
        message = await receive()
        chunks.append(message)
        if message["type"] != "http.request":
            return chunks  # the client left: the SDK sees the same
        size += len(message.get("body", b""))
        if size > max_body:
            raise too_large
        if not message.get("more_body", False):
            break
    _check_message(b"".join(m.get("body", b"") for m in chunks))
    return chunks


def _check_message(raw: bytes) -> None:
    try:
        message = serde.parse_json(raw)
    except serde.TooDeep as exc:
        raise Refused(400, INVALID_REQUEST, exc.message) from exc
    except serde.MalformedJson as exc:
        raise Refused(400, PARSE_ERROR, exc.message) from exc
    if not isinstance(message, dict):
        raise Refused(400, INVALID_REQUEST, "The body must be one JSON-RPC message object.")
    if message.get("jsonrpc") != "2.0":
        raise Refused(400, INVALID_REQUEST, "jsonrpc must be exactly '2.0'.")
    request_id = message.get("id")
    if "id" in message and not _valid_id(request_id):
        raise Refused(400, INVALID_REQUEST, "id must be a string or an integer.")
    if "method" in message:
        if not isinstance(message["method"], str):
            raise Refused(400, INVALID_REQUEST, "method must be a string.", request_id)
    elif "id" not in message or not ("result" in message or "error" in message):
        raise Refused(400, INVALID_REQUEST, "Not a JSON-RPC request, notification or response.")
    try:
        serde.check_json(message)
    except serde.JsonRejected as exc:
        raise Refused(400, INVALID_PARAMS, exc.message, request_id) from exc


def _valid_id(value: Any) -> bool:
    # MCP ids are strings or integers, never null (2025-11-25 basic/index).
    if isinstance(value, int) and not isinstance(value, bool):
        return -(2**63) <= value < 2**64
    return isinstance(value, str)


async def _answer(send: Send, refused: Refused) -> None:
    body = orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": refused.request_id,
            "error": {"code": refused.code, "message": refused.message},
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
