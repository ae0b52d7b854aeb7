"""The Streamable HTTP transport in both eras: sessions, versions, headers, security, bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from .wire import (
    HEADER_MISMATCH,
    LEGACY,
    METHOD_NOT_FOUND,
    MODERN,
    PARSE_ERROR,
    SESSION_HEADER,
    UNSUPPORTED_VERSION,
    Legacy,
    Modern,
    base_headers,
    final,
    iter_messages,
    modern_meta,
    next_id,
    sse_records,
)

# -- 2025-11-25: sessions ---------------------------------------------------------------------


async def test_initialize_opens_a_session(legacy: Legacy) -> None:
    assert legacy.session_id
    assert legacy.initialize_result["protocolVersion"] == LEGACY
    assert "tools" in legacy.initialize_result["capabilities"]
    assert legacy.initialize_result["serverInfo"]["name"]


@pytest.mark.parametrize("suffix", ["", "/"])
async def test_endpoint_with_and_without_trailing_slash(
    http: httpx.AsyncClient, mcp_path: str, suffix: str
) -> None:
    session = Legacy(http, mcp_path.rstrip("/") + suffix)
    await session.open()
    try:
        listed = await session.call("tools/list")
        assert "result" in listed[-1]
    finally:
        await session.close()


async def test_session_request_and_ping(legacy: Legacy) -> None:
    answer = await legacy.call("ping")
    assert answer[-1]["result"] == {} or isinstance(answer[-1]["result"], dict)


async def test_get_opens_the_server_stream(http: httpx.AsyncClient, legacy: Legacy) -> None:
    headers = legacy.headers("", None)
    headers["accept"] = "text/event-stream"
    async with http.stream("GET", legacy.path, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")


async def test_get_without_session_is_refused(http: httpx.AsyncClient, mcp_path: str) -> None:
    headers = {"accept": "text/event-stream", "mcp-protocol-version": LEGACY}
    async with http.stream("GET", mcp_path, headers=headers) as response:
        assert 400 <= response.status_code < 500


async def test_delete_ends_the_session_then_404(http: httpx.AsyncClient, mcp_path: str) -> None:
    session = Legacy(http, mcp_path)
    await session.open()
    headers = session.headers("", None)
    deleted = await http.delete(mcp_path, headers=headers)
    assert deleted.status_code in (200, 204)
    again = await http.post(
        mcp_path, headers=headers, json={"jsonrpc": "2.0", "id": next_id(), "method": "ping"}
    )
    assert again.status_code == 404


async def test_unknown_session_is_404(http: httpx.AsyncClient, mcp_path: str) -> None:
    headers = base_headers(**{"mcp-protocol-version": LEGACY, SESSION_HEADER: "no-such-session"})
    response = await http.post(
        mcp_path, headers=headers, json={"jsonrpc": "2.0", "id": next_id(), "method": "ping"}
    )
    assert response.status_code == 404


async def test_unsupported_protocol_version_header_is_400(
    http: httpx.AsyncClient, legacy: Legacy
) -> None:
    headers = legacy.headers("", None)
    headers["mcp-protocol-version"] = "1999-01-01"
    response = await http.post(
        legacy.path, headers=headers, json={"jsonrpc": "2.0", "id": next_id(), "method": "ping"}
    )
    assert response.status_code == 400


# -- 2026-07-28: stateless ---------------------------------------------------------------------


async def test_discover(http: httpx.AsyncClient, modern: Modern) -> None:
    response = await http.send(modern.request("server/discover"))
    assert response.status_code == 200
    assert SESSION_HEADER not in response.headers
    result = final(response)["result"]
    assert MODERN in result["supportedVersions"]
    assert "tools" in result["capabilities"]


async def test_stateless_requests_need_no_session(modern: Modern) -> None:
    for _ in range(2):
        answer = await modern.call("tools/list")
        assert "result" in answer[-1]


def _modern_post(method: str, params: dict[str, object]) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": next_id(), "method": method, "params": params}


@pytest.mark.parametrize(
    ("headers", "body_version"),
    [
        ({"mcp-protocol-version": MODERN}, MODERN),
        ({"mcp-protocol-version": MODERN, "mcp-method": "prompts/list"}, MODERN),
        ({"mcp-protocol-version": MODERN, "mcp-method": "tools/list"}, LEGACY),
    ],
    ids=["missing-method", "method-mismatch", "version-mismatch"],
)
async def test_metadata_header_mismatch_is_400(
    http: httpx.AsyncClient, mcp_path: str, headers: dict[str, str], body_version: str
) -> None:
    meta = modern_meta(**{"io.modelcontextprotocol/protocolVersion": body_version})
    response = await http.post(
        mcp_path,
        headers=base_headers(**headers),
        json=_modern_post("tools/list", {"_meta": meta}),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == HEADER_MISMATCH


async def test_tool_name_header_mismatch_is_400(http: httpx.AsyncClient, mcp_path: str) -> None:
    headers = base_headers(
        **{"mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "other"}
    )
    body = _modern_post(
        "tools/call",
        {"name": "echo", "arguments": {"message": "x"}, "_meta": modern_meta()},
    )
    response = await http.post(mcp_path, headers=headers, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == HEADER_MISMATCH


async def test_unsupported_modern_version_is_400(http: httpx.AsyncClient, mcp_path: str) -> None:
    version = "2099-01-01"
    headers = base_headers(**{"mcp-protocol-version": version, "mcp-method": "tools/list"})
    meta = modern_meta(**{"io.modelcontextprotocol/protocolVersion": version})
    response = await http.post(
        mcp_path, headers=headers, json=_modern_post("tools/list", {"_meta": meta})
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == UNSUPPORTED_VERSION
    assert MODERN in error["data"]["supported"]


async def test_unknown_method_is_404_method_not_found(
    http: httpx.AsyncClient, mcp_path: str
) -> None:
    headers = base_headers(**{"mcp-protocol-version": MODERN, "mcp-method": "no/such"})
    response = await http.post(
        mcp_path, headers=headers, json=_modern_post("no/such", {"_meta": modern_meta()})
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == METHOD_NOT_FOUND


# -- both eras ----------------------------------------------------------------------------------


async def test_foreign_origin_is_403(http: httpx.AsyncClient, mcp_path: str) -> None:
    for version in (LEGACY, MODERN):
        headers = base_headers(
            origin="http://evil.example", **{"mcp-protocol-version": version, "mcp-method": "ping"}
        )
        response = await http.post(
            mcp_path, headers=headers, json={"jsonrpc": "2.0", "id": next_id(), "method": "ping"}
        )
        assert response.status_code == 403


async def test_malformed_json_is_parse_error_legacy(
    http: httpx.AsyncClient, legacy: Legacy
) -> None:
    response = await http.post(
        legacy.path, headers=legacy.headers("", None), content=b'{"jsonrpc": "2.0", "id": '
    )
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == PARSE_ERROR


async def test_malformed_json_is_parse_error_modern(http: httpx.AsyncClient, mcp_path: str) -> None:
    headers = base_headers(**{"mcp-protocol-version": MODERN, "mcp-method": "tools/list"})
    response = await http.post(mcp_path, headers=headers, content=b'{"jsonrpc": "2.0", "id": ')
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"] == PARSE_ERROR


async def test_reconnect_with_last_event_id_replays_the_rest(
    http: httpx.AsyncClient, legacy: Legacy
) -> None:
    params = {
        "name": "countdown",
        "arguments": {"n": 3, "delay": 0.01},
        "_meta": {"progressToken": "resume"},
    }
    request_id = next_id()
    response = await http.send(legacy.request("tools/call", params, request_id))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    records = sse_records(response.text)
    with_ids = [(ident, data) for ident, data in records if ident]
    assert len(with_ids) >= 2, records
    assert with_ids[-1][1] is not None and with_ids[-1][1].get("id") == request_id
    # Reconnect after the first event: the rest of that stream comes again, the response last.
    headers = legacy.headers("", None)
    headers["accept"] = "text/event-stream"
    headers["last-event-id"] = with_ids[0][0]
    replayed: list[dict[str, Any]] = []
    async with (
        asyncio.timeout(30),
        http.stream("GET", legacy.path, headers=headers) as stream,
    ):
        assert stream.status_code == 200
        async for message in iter_messages(stream):
            replayed.append(message)
            if message.get("id") == request_id:
                break
    expected = [data for _, data in with_ids[1:] if data is not None]
    assert replayed == expected
