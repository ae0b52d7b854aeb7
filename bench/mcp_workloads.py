"""Workloads of interop's MCP front door (Streamable HTTP at /mcp) on the `echo` agent.

- 2025-11-25: one session opened first (initialize + notifications/initialized) and reused by
  every request of the load (its `Mcp-Session-Id` on each);
- 2026-07-28: stateless, every request carries the `_meta` envelope and the `Mcp-Method` /
  `Mcp-Name` headers.

Each `check_*` sends one request first and fails loudly (WorkloadError) when the answer is not
the expected result (echo: text equal to the input), so a broken server is never measured
answering errors quickly.
"""

from __future__ import annotations

import json
from typing import Any

from harness.http1 import Connection, Origin, Request
from langgraph_rest import USER_TEXT, WorkloadError

PATH = "/mcp"
LEGACY = "2025-11-25"
MODERN = "2026-07-28"
TOOL = "echo"
SESSION_IDS = 1024
_ACCEPT = "application/json, text/event-stream"
_ENVELOPE = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


def _post(body: dict[str, Any], headers: dict[str, str]) -> Request:
    return Request(
        "POST",
        PATH,
        json.dumps(body).encode(),
        {"Content-Type": "application/json", "Accept": _ACCEPT, **headers},
    )


def _call_params() -> dict[str, Any]:
    return {"name": TOOL, "arguments": {"message": USER_TEXT}}


def open_session(base_url: str, timeout: float = 10.0) -> str:
    """Initialize a 2025-11-25 session; its id. WorkloadError when the server refuses."""
    initialize = _post(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "interop-bench", "version": "1"},
            },
        },
        {},
    )
    with Connection(Origin.parse(base_url), timeout) as conn:
        parser = conn.exchange(initialize)
        session = parser.headers.get("mcp-session-id")
        if parser.status != 200 or not session:
            raise WorkloadError(f"initialize answered {parser.status} without a session id")
        status, body = conn.fetch(
            _post(
                {"jsonrpc": "2.0", "method": "notifications/initialized"},
                _legacy_headers(session),
            )
        )
        if status != 202:
            raise WorkloadError(f"notifications/initialized answered {status}: {body[:200]!r}")
    return session


def _legacy_headers(session: str) -> dict[str, str]:
    return {"Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY}


def legacy_calls(session: str) -> tuple[Request, ...]:
    """tools/call echo in the 2025-11-25 session `session`, with distinct request ids."""
    return _distinct_ids(session, "tools/call", _call_params())


def legacy_streamed_calls(session: str) -> tuple[Request, ...]:
    """tools/call echo in the session with a progress token: answered as an SSE stream (the
    call may send progress first), where a call that can send nothing first gets JSON."""
    headers = _legacy_headers(session)
    requests = []
    for ident in range(1, SESSION_IDS + 1):
        params = {**_call_params(), "_meta": {"progressToken": ident}}
        body = {"jsonrpc": "2.0", "id": ident, "method": "tools/call", "params": params}
        requests.append(_post(body, headers))
    return tuple(requests)


def legacy_lists(session: str) -> tuple[Request, ...]:
    """tools/list in the 2025-11-25 session `session`, with distinct request ids."""
    return _distinct_ids(session, "tools/list", None)


def _distinct_ids(session: str, method: str, params: dict[str, Any] | None) -> tuple[Request, ...]:
    # Request ids must be unique among a session's requests in flight (the transport routes
    # each response by id): the load sends these round-robin, SESSION_IDS apart before reuse.
    headers = _legacy_headers(session)
    requests = []
    for ident in range(1, SESSION_IDS + 1):
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
        if params is not None:
            body["params"] = params
        requests.append(_post(body, headers))
    return tuple(requests)


def modern_call() -> Request:
    """tools/call echo, 2026-07-28 stateless."""
    params = {**_call_params(), "_meta": _ENVELOPE}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": TOOL}
    return _post(body, headers)


def modern_list() -> Request:
    """tools/list, 2026-07-28 stateless."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": _ENVELOPE}}
    return _post(body, {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"})


def _result(body: bytes) -> dict[str, Any]:
    """The JSON-RPC result of a JSON or SSE answer (the last `data:` record for SSE)."""
    text = body.decode()
    if not text.lstrip().startswith("{"):
        records = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = next((r for r in reversed(records) if r), "{}")
    message = json.loads(text)
    if "result" not in message:
        raise WorkloadError(f"not a result: {text[:300]!r}")
    return dict(message["result"])


def _fetch(base_url: str, request: Request, timeout: float) -> dict[str, Any]:
    with Connection(Origin.parse(base_url), timeout) as conn:
        status, body = conn.fetch(request)
    if status != 200:
        raise WorkloadError(f"{request.path} answered {status}: {body[:300]!r}")
    return _result(body)


def check_call(base_url: str, request: Request, timeout: float = 30.0) -> None:
    result = _fetch(base_url, request, timeout)
    texts = [b.get("text") for b in result.get("content", []) if b.get("type") == "text"]
    if result.get("isError") or texts[:1] != [USER_TEXT]:  # the answer, then the thread id
        raise WorkloadError(f"not an echo of {USER_TEXT!r}: {result!r:.300}")


def check_list(base_url: str, request: Request, timeout: float = 30.0) -> None:
    names = {tool.get("name") for tool in _fetch(base_url, request, timeout).get("tools", [])}
    if TOOL not in names:
        raise WorkloadError(f"tools/list lacks {TOOL!r}: {sorted(map(str, names))}")
