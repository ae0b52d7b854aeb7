"""Raw Streamable HTTP for both MCP eras: request building, JSON or SSE answers, ids.

`Legacy` is a 2025-11-25 session (initialize, `Mcp-Session-Id`, `MCP-Protocol-Version`);
`Modern` is the 2026-07-28 stateless exchange (per-request `_meta` envelope and the
`Mcp-Method` / `Mcp-Name` headers). Both offer `call(method, params)` returning every JSON-RPC
message the server sent for that request (notifications first, the response last), and
`stream(...)` to read them as they arrive.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"
SESSION_HEADER = "mcp-session-id"
TOOL_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

# JSON-RPC and MCP error codes the suite asserts.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
HEADER_MISMATCH = -32020
MISSING_CAPABILITY = -32021
UNSUPPORTED_VERSION = -32022

_ids = itertools.count(1)


def next_id() -> int:
    return next(_ids)


def base_headers(**extra: str) -> dict[str, str]:
    return {"content-type": "application/json", "accept": ACCEPT, **extra}


def modern_meta(**extra: Any) -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        **extra,
    }


def sse_messages(text: str) -> list[dict[str, Any]]:
    """The JSON data of every SSE record in a complete body (comments and empty records out)."""
    found: list[dict[str, Any]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].lstrip(" ") for line in block.split("\n") if line.startswith("data:")]
        if data and "".join(data).strip():
            found.append(json.loads("\n".join(data)))
    return found


def sse_records(text: str) -> list[tuple[str | None, dict[str, Any] | None]]:
    """(id, JSON data or None) of every SSE record of a complete body, comments left out."""
    found: list[tuple[str | None, dict[str, Any] | None]] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        ident: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            if line.startswith("id:"):
                ident = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        text_data = "\n".join(data).strip()
        if ident is not None or text_data:
            found.append((ident, json.loads(text_data) if text_data else None))
    return found


def messages_of(response: httpx.Response) -> list[dict[str, Any]]:
    """Every JSON-RPC message of a complete response, JSON or SSE."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        return sse_messages(response.text)
    return [response.json()]


def final(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC response (the last message) of a complete answer."""
    messages = messages_of(response)
    assert messages, f"empty answer ({response.status_code})"
    return messages[-1]


async def iter_messages(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """JSON-RPC messages of a streaming answer as they arrive (JSON: the one body)."""
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        await response.aread()
        yield response.json()
        return
    buffer = ""
    async for chunk in response.aiter_text():
        buffer += chunk.replace("\r\n", "\n")
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            for message in sse_messages(block + "\n\n"):
                yield message


def thread_id_of(meta: dict[str, Any] | None) -> str | None:
    """The result's thread id: `_meta.thread_id`, or a namespaced `<prefix>/thread_id` key."""
    if not meta:
        return None
    for key, value in meta.items():
        if key == "thread_id" or key.endswith("/thread_id"):
            return str(value) if value else None
    return None


class Era(Protocol):
    version: str

    def request(
        self, method: str, params: dict[str, Any] | None = None, ident: int | None = None
    ) -> httpx.Request: ...

    async def call(
        self, method: str, params: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]: ...

    def stream(
        self, method: str, params: dict[str, Any] | None = None
    ) -> contextlib.AbstractAsyncContextManager[httpx.Response]: ...

    async def cancel(self, request_id: int) -> None: ...


class _Base:
    version = ""

    def __init__(self, http: httpx.AsyncClient, path: str) -> None:
        self.http = http
        self.path = path

    def headers(self, method: str, params: dict[str, Any] | None) -> dict[str, str]:
        raise NotImplementedError

    def body(self, method: str, params: dict[str, Any] | None, ident: int | None) -> dict[str, Any]:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if ident is not None:
            message["id"] = ident
        if params is not None:
            message["params"] = params
        return message

    def request(
        self, method: str, params: dict[str, Any] | None = None, ident: int | None = None
    ) -> httpx.Request:
        body = self.body(method, params, next_id() if ident is None else ident)
        return self.http.build_request(
            "POST", self.path, headers=self.headers(method, params), json=body
        )

    async def call(self, method: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        response = await self.http.send(self.request(method, params))
        assert response.status_code < 500, response.text
        return messages_of(response)

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, params: dict[str, Any] | None = None
    ) -> AsyncIterator[httpx.Response]:
        response = await self.http.send(self.request(method, params), stream=True)
        try:
            yield response
        finally:
            await response.aclose()


class Legacy(_Base):
    """A 2025-11-25 session over raw HTTP."""

    version = LEGACY

    def __init__(self, http: httpx.AsyncClient, path: str) -> None:
        super().__init__(http, path)
        self.session_id: str | None = None
        self.initialize_result: dict[str, Any] = {}

    async def open(self, capabilities: dict[str, Any] | None = None) -> None:
        response = await self.http.post(
            self.path,
            headers=base_headers(),
            json={
                "jsonrpc": "2.0",
                "id": next_id(),
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY,
                    "capabilities": capabilities or {},
                    "clientInfo": {"name": "interop-conformance", "version": "1"},
                },
            },
        )
        assert response.status_code == 200, response.text
        self.initialize_result = final(response)["result"]
        self.session_id = response.headers[SESSION_HEADER]
        initialized = await self.http.post(
            self.path,
            headers=self.headers("notifications/initialized", None),
            json={"jsonrpc": "2.0", "method": "notifications/initialized"},
        )
        assert initialized.status_code == 202, initialized.text

    async def close(self) -> None:
        if self.session_id is not None:
            with contextlib.suppress(httpx.HTTPError):
                await self.http.delete(self.path, headers=self.headers("", None))
            self.session_id = None

    def headers(self, method: str, params: dict[str, Any] | None) -> dict[str, str]:
        headers = base_headers(**{"mcp-protocol-version": LEGACY})
        if self.session_id is not None:
            headers[SESSION_HEADER] = self.session_id
        return headers

    async def cancel(self, request_id: int) -> None:
        response = await self.http.post(
            self.path,
            headers=self.headers("notifications/cancelled", None),
            json={
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": {"requestId": request_id},
            },
        )
        assert response.status_code == 202, response.text


class Modern(_Base):
    """The 2026-07-28 stateless exchange over raw HTTP."""

    version = MODERN

    def headers(self, method: str, params: dict[str, Any] | None) -> dict[str, str]:
        headers = base_headers(**{"mcp-protocol-version": MODERN, "mcp-method": method})
        # tools/call and prompts/get: `name`; resources/read: `uri`; tasks/*: `taskId`.
        params = params or {}
        name = params.get("name") or params.get("uri") or params.get("taskId")
        if isinstance(name, str) and name.isascii():
            headers["mcp-name"] = name
        return headers

    def body(self, method: str, params: dict[str, Any] | None, ident: int | None) -> dict[str, Any]:
        params = dict(params or {})
        params["_meta"] = modern_meta(**params.get("_meta", {}))
        return super().body(method, params, ident)

    async def cancel(self, request_id: int) -> None:
        """2026-07-28 cancels by closing the response stream: the caller closes it."""
