"""The /mcp endpoint on the wire: sessions, versions, security headers, bad input, auth."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .support import TIMEOUT, ServerProcess, mcp_initialize, parse_sse, running_server

ACCEPT = "application/json, text/event-stream"
MODERN = "2026-07-28"
LEGACY = "2025-11-25"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


def _headers(**extra: str) -> dict[str, str]:
    return {"content-type": "application/json", "accept": ACCEPT, **extra}


def _body(response: httpx.Response) -> Any:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        records, _ = parse_sse(response.text)
        return records[-1].data
    return response.json()


async def _initialize(
    http: httpx.AsyncClient, path: str = "/mcp", capabilities: dict[str, Any] | None = None
) -> str:
    response = await mcp_initialize(http, capabilities=capabilities, path=path)
    assert response.status_code == 200
    assert _body(response)["result"]["protocolVersion"] == LEGACY
    return response.headers["mcp-session-id"]


@pytest.mark.parametrize("path", ["/mcp", "/mcp/"])
async def test_both_paths_without_redirect(http: httpx.AsyncClient, path: str) -> None:
    session = await _initialize(http, path)
    assert session


async def test_session_end_then_404(http: httpx.AsyncClient) -> None:
    session = await _initialize(http)
    headers = _headers(**{"mcp-session-id": session, "mcp-protocol-version": LEGACY})
    listed = await http.post(
        "/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    )
    assert listed.status_code == 200
    assert (await http.delete("/mcp", headers=headers)).status_code == 200
    again = await http.post(
        "/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"}
    )
    assert again.status_code == 404


async def test_unsupported_protocol_version_is_400(http: httpx.AsyncClient) -> None:
    session = await _initialize(http)
    headers = _headers(**{"mcp-session-id": session, "mcp-protocol-version": "1999-01-01"})
    response = await http.post(
        "/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    )
    assert response.status_code == 400


async def test_foreign_origin_is_403(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/mcp",
        headers=_headers(origin="http://evil.example"),
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
    )
    assert response.status_code == 403


async def test_foreign_host_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/mcp",
        headers=_headers(host="evil.example"),
        json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
    )
    assert response.status_code == 421


async def test_modern_discover_and_stateless_call(http: httpx.AsyncClient) -> None:
    headers = _headers(**{"mcp-protocol-version": MODERN, "mcp-method": "server/discover"})
    response = await http.post(
        "/mcp",
        headers=headers,
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "server/discover",
            "params": {"_meta": MODERN_META},
        },
    )
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers
    assert MODERN in response.json()["result"]["supportedVersions"]
    # One truth in both eras: prompts and resources are fixed, tools follow the assistants.
    capabilities = response.json()["result"]["capabilities"]
    assert capabilities["prompts"]["listChanged"] is False
    assert capabilities["resources"]["listChanged"] is False
    assert capabilities["tools"]["listChanged"] is True
    call = await http.post(
        "/mcp",
        headers=_headers(
            **{"mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "echo"}
        ),
        json={
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "echo", "arguments": {"message": "hey"}, "_meta": MODERN_META},
        },
    )
    assert call.status_code == 200
    result = _body(call)["result"]
    assert result["content"][0] == {"type": "text", "text": "hey"}
    assert result["content"][-1]["text"] == "thread_id: " + result["structuredContent"]["thread_id"]
    assert result["_meta"]["interop/thread_id"]


async def test_modern_header_mismatch_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/mcp",
        headers=_headers(
            **{"mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "other"}
        ),
        json={
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "echo", "arguments": {}, "_meta": MODERN_META},
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32020


@pytest.mark.parametrize("version", [LEGACY, MODERN])
async def test_malformed_json_is_a_parse_error(http: httpx.AsyncClient, version: str) -> None:
    headers = _headers(**{"mcp-protocol-version": version, "mcp-method": "tools/list"})
    if version == LEGACY:
        headers["mcp-session-id"] = await _initialize(http)
    response = await http.post("/mcp", headers=headers, content=b'{"jsonrpc": "2.0", "id": ')
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == -32700


async def test_wrong_argument_types_are_invalid_params(http: httpx.AsyncClient) -> None:
    session = await _initialize(http)
    headers = _headers(**{"mcp-session-id": session, "mcp-protocol-version": LEGACY})
    for arguments in ({"message": 5}, {"message": "x", "thread_id": 7}):
        response = await http.post(
            "/mcp",
            headers=headers,
            json={
                "jsonrpc": "2.0",
                "id": 9,
                "method": "tools/call",
                "params": {"name": "echo", "arguments": arguments},
            },
        )
        assert response.status_code == 200
        assert _body(response)["error"]["code"] == -32602
    bad_params = await http.post(
        "/mcp",
        headers=headers,
        json={"jsonrpc": "2.0", "id": 10, "method": "tools/call", "params": {"name": 3}},
    )
    assert _body(bad_params)["error"]["code"] == -32602


async def test_session_answers_json_unless_the_request_can_send_first(
    http: httpx.AsyncClient,
) -> None:
    session = await _initialize(http)
    headers = _headers(**{"mcp-session-id": session, "mcp-protocol-version": LEGACY})
    await http.post(
        "/mcp", headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    for ident, method in enumerate(("tools/list", "ping", "resources/templates/list"), 20):
        quiet = await http.post(
            "/mcp", headers=headers, json={"jsonrpc": "2.0", "id": ident, "method": method}
        )
        assert quiet.status_code == 200
        assert quiet.headers["content-type"] == "application/json"
        assert quiet.headers["mcp-session-id"] == session
        assert quiet.json()["id"] == ident and "result" in quiet.json()

    # A call streams when it may send something first: progress, logs or questions.
    def call(ident: int, **meta: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"name": "echo", "arguments": {"message": f"m{ident}"}}
        if meta:
            params["_meta"] = meta
        return {"jsonrpc": "2.0", "id": ident, "method": "tools/call", "params": params}

    plain = await http.post("/mcp", headers=headers, json=call(40))
    assert plain.headers["content-type"] == "application/json"
    assert plain.json()["result"]["content"][0] == {"type": "text", "text": "m40"}
    progress = await http.post("/mcp", headers=headers, json=call(41, progressToken="p"))
    assert progress.headers["content-type"].startswith("text/event-stream")
    assert _body(progress)["result"]["content"][0] == {"type": "text", "text": "m41"}
    level = {"jsonrpc": "2.0", "id": 42, "method": "logging/setLevel", "params": {"level": "info"}}
    assert (await http.post("/mcp", headers=headers, json=level)).status_code == 200
    logged = await http.post("/mcp", headers=headers, json=call(43))
    assert logged.headers["content-type"].startswith("text/event-stream")
    asking_session = await _initialize(http, capabilities={"elicitation": {}})
    asking = _headers(**{"mcp-session-id": asking_session, "mcp-protocol-version": LEGACY})
    await http.post(
        "/mcp", headers=asking, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    asked = await http.post("/mcp", headers=asking, json=call(44))
    assert asked.headers["content-type"].startswith("text/event-stream")
    # A body sent in pieces reaches the SDK whole.
    pieces = [b'{"jsonrpc": "2.0", "id": 31, ', b'"method": "tools/list"}']

    async def chunked() -> Any:
        for piece in pieces:
            yield piece

    split = await http.post(
        "/mcp",
        headers={**headers, "content-length": str(sum(map(len, pieces)))},
        content=chunked(),
    )
    assert split.json()["id"] == 31
    assert {t["name"] for t in split.json()["result"]["tools"]} >= {"echo"}


@pytest.mark.parametrize("version", [LEGACY, MODERN])
async def test_tools_list_checks_its_params_every_time(
    http: httpx.AsyncClient, version: str
) -> None:
    headers = _headers(**{"mcp-protocol-version": version, "mcp-method": "tools/list"})
    meta: dict[str, Any] = {}
    if version == LEGACY:
        headers["mcp-session-id"] = await _initialize(http)
    else:
        meta = {"_meta": MODERN_META}
    for ident in (1, 2):  # the second answer comes from the reused result
        listed = await http.post(
            "/mcp",
            headers=headers,
            json={"jsonrpc": "2.0", "id": ident, "method": "tools/list", "params": meta},
        )
        names = [t["name"] for t in _body(listed)["result"]["tools"]]
        assert "echo" in names
    wrong = await http.post(
        "/mcp",
        headers=headers,
        json={
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/list",
            "params": {**meta, "cursor": 5},
        },
    )
    assert _body(wrong)["error"]["code"] == -32602


async def test_oversized_body_is_413(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/mcp", headers=_headers(), content=b"{" + b" " * (11 * 1024 * 1024) + b"}"
    )
    assert response.status_code == 413


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("mcp-auth"), "--auth-token", "s3cret") as server:
        yield server


async def test_auth_required_with_resource_metadata(auth_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=auth_server.url, timeout=20) as http:
        denied = await http.post(
            "/mcp", headers=_headers(), json={"jsonrpc": "2.0", "id": 1, "method": "ping"}
        )
        assert denied.status_code == 401
        challenge = denied.headers["www-authenticate"]
        assert challenge.startswith("Bearer ") and "resource_metadata=" in challenge
        url = challenge.split('resource_metadata="', 1)[1].rstrip('"')
        metadata = await http.get(url)
        assert metadata.status_code == 200
        assert metadata.json()["resource"] == auth_server.url + "/mcp"
        http.headers["authorization"] = "Bearer s3cret"
        assert await _initialize(http)


async def test_json_answered_call_can_be_cancelled(http: httpx.AsyncClient) -> None:
    session = await _initialize(http)
    headers = _headers(**{"mcp-session-id": session, "mcp-protocol-version": LEGACY})
    await http.post(
        "/mcp", headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    await http.post("/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    call = asyncio.create_task(
        http.post(
            "/mcp",
            headers=headers,
            json={
                "jsonrpc": "2.0",
                "id": 7,
                "method": "tools/call",
                "params": {"name": "countdown", "arguments": {"n": 2000, "delay": 0.05}},
            },
        )
    )
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}}
    async with asyncio.timeout(TIMEOUT):
        # The notification may overtake the call on its own connection: repeat it until the
        # call answers (a cancel for a request not yet known is ignored).
        while not call.done():
            assert (await http.post("/mcp", headers=headers, json=cancel)).status_code == 202
            await asyncio.wait({call}, timeout=0.2)
    answer = call.result()
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["code"] == -32800
