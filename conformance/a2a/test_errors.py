"""JSON-RPC error paths: codes, not messages. 1.0 errors carry the spec's ErrorInfo array."""

from __future__ import annotations

import httpx
import pytest

from .rpc import A2A

ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


async def test_malformed_json_is_parse_error(a2a: A2A) -> None:
    response = await a2a.http.post(a2a.path, content=b"{not json", headers=a2a.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["error"]["code"] == -32700 and body["id"] is None


@pytest.mark.parametrize(
    "payload",
    [
        {"jsonrpc": "1.0", "id": 1, "method": "GetTask", "params": {}},
        {"jsonrpc": "2.0", "id": 1, "params": {}},
        {"jsonrpc": "2.0", "id": {"bad": "id"}, "method": "GetTask"},
        {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": "text"},
        "a string",
        [],
    ],
)
async def test_invalid_request_objects(a2a: A2A, payload: object) -> None:
    response = await a2a.raw(payload)
    assert response.status_code == 200
    assert response.json()["error"]["code"] == -32600


async def test_unknown_method_and_the_other_versions_names(a2a: A2A) -> None:
    assert await a2a.error_code("send", {}) == -32602  # known method, bad params
    other = "message/send" if a2a.version == "1.0" else "SendMessage"
    for method in ("tasks/nothing", other):
        response = await a2a.raw({"jsonrpc": "2.0", "id": 7, "method": method, "params": {}})
        body = response.json()
        assert body["error"]["code"] == -32601 and body["id"] == 7


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"message": {"messageId": "m", "parts": [{"text": "x"}]}},
        {"message": "not an object"},
        {"message": {"messageId": "m", "role": "ROLE_USER", "parts": []}},
        {"message": {"messageId": "m", "role": "user", "parts": []}},
    ],
)
async def test_invalid_params(a2a: A2A, params: dict[str, object]) -> None:
    body = await a2a.call("send", params)
    assert body["error"]["code"] == -32602


async def test_invalid_params_name_the_field_in_1_0(http: httpx.AsyncClient) -> None:
    body = await A2A(http, "1.0", "echo").call("get", {})
    error = body["error"]
    assert error["code"] == -32602
    violations = [d for d in error["data"] if d["@type"].endswith("BadRequest")]
    assert violations[0]["fieldViolations"][0]["field"] == "id"
    infos = [d for d in error["data"] if d["@type"] == ERROR_INFO]
    assert infos[0]["reason"] == "INVALID_PARAMS" and infos[0]["domain"] == "a2a-protocol.org"


async def test_task_not_found_carries_error_info_in_1_0(http: httpx.AsyncClient) -> None:
    error = (await A2A(http, "1.0", "echo").call("get", {"id": "no-such-task"}))["error"]
    assert error["code"] == -32001
    (info,) = [d for d in error["data"] if d["@type"] == ERROR_INFO]
    assert info["reason"] == "TASK_NOT_FOUND"
    assert info["metadata"]["taskId"] == "no-such-task"


async def test_unknown_version_is_version_not_supported(http: httpx.AsyncClient) -> None:
    for headers, params in (({"A2A-Version": "9.9"}, None), ({}, {"A2A-Version": "0.1"})):
        response = await http.post(
            "/a2a/echo",
            json={"jsonrpc": "2.0", "id": 3, "method": "GetTask", "params": {"id": "x"}},
            headers=headers,
            params=params,
        )
        body = response.json()
        assert body["error"]["code"] == -32009 and body["id"] == 3


async def test_no_version_means_0_3(http: httpx.AsyncClient) -> None:
    payload = {"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": "x"}}
    assert (await http.post("/a2a/echo", json=payload)).json()["error"]["code"] == -32001
    version_in_query = await http.post(
        "/a2a/echo", json={**payload, "method": "GetTask"}, params={"A2A-Version": "1.0"}
    )
    assert version_in_query.json()["error"]["code"] == -32001


async def test_wrong_content_type(a2a: A2A) -> None:
    response = await a2a.http.post(
        a2a.path, content=b"{}", headers={"A2A-Version": a2a.version, "Content-Type": "text/plain"}
    )
    assert response.status_code == 200
    assert response.json()["error"]["code"] == -32005


async def test_oversized_body_is_refused(a2a: A2A, oversize_bytes: int) -> None:
    response = await a2a.http.post(
        a2a.path, content=b"[" + b" " * oversize_bytes + b"]", headers=a2a.headers()
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == -32600


async def test_unknown_agent_is_404(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/a2a/no-such-agent", json={"jsonrpc": "2.0", "id": 1, "method": "GetTask"}
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == -32600


async def test_batch_answers_each_call(a2a: A2A) -> None:
    get = (a2a.version == "1.0" and "GetTask") or "tasks/get"
    response = await a2a.raw(
        [
            {"jsonrpc": "2.0", "id": "a", "method": get, "params": {"id": "nope"}},
            {"jsonrpc": "2.0", "id": "b", "method": "nothing"},
            42,
        ]
    )
    answers = response.json()
    assert [(a["id"], a["error"]["code"]) for a in answers] == [
        ("a", -32001),
        ("b", -32601),
        (None, -32600),
    ]


async def test_streaming_methods_cannot_be_batched(a2a: A2A) -> None:
    stream = "SendStreamingMessage" if a2a.version == "1.0" else "message/stream"
    response = await a2a.raw(
        [{"jsonrpc": "2.0", "id": 1, "method": stream, "params": {"message": a2a.message("x")}}]
    )
    assert response.json()[0]["error"]["code"] == -32600


async def test_trailing_slash_and_id_less_calls(a2a: A2A) -> None:
    get = "GetTask" if a2a.version == "1.0" else "tasks/get"
    response = await a2a.http.post(
        a2a.path + "/",
        json={"jsonrpc": "2.0", "method": get, "params": {"id": "x"}},
        headers=a2a.headers(),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["id"] is None and body["error"]["code"] == -32001


async def test_extended_card_without_auth(a2a: A2A) -> None:
    expected = -32004 if a2a.version == "1.0" else -32007
    assert await a2a.error_code("card", {}) == expected
