"""Malformed input on the JSON-RPC doors: each case's precise HTTP status and JSON-RPC code.

/a2a answers every JSON-RPC error with HTTP 200 (413 for a body past the limit); /mcp answers
a message it cannot take with 4xx (see interop.mcp.screen), always as a JSON-RPC error body.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from .support import ECHO, MCP_ACCEPT, TIMEOUT, ServerProcess, running_server

LIMIT = 64 * 1024
JSON = "application/json"
NESTED = "[" * 300 + "]" * 300
TOO_DEEP_TO_PARSE = "[" * 5000 + "]" * 5000


@pytest.fixture(scope="module")
def corpus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(
        tmp_path_factory.mktemp("corpus"), "--max-body-bytes", str(LIMIT)
    ) as server:
        yield server


@pytest.fixture
async def raw(corpus_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=corpus_server.url, timeout=TIMEOUT) as client:
        yield client


def _get(id_: str = "1", params: str = '{"id": "t"}') -> str:
    return f'{{"jsonrpc": "2.0", "id": {id_}, "method": "tasks/get", "params": {params}}}'


# (case id, content type, body, HTTP status, JSON-RPC code, id in the answer)
A2A_CASES: list[tuple[str, str | None, str, int, int, object]] = [
    ("no content type", None, _get(), 200, -32005, None),
    ("text/plain", "text/plain", _get(), 200, -32005, None),
    ("form", "application/x-www-form-urlencoded", _get(), 200, -32005, None),
    ("not json", JSON, "{", 200, -32700, None),
    ("NaN", JSON, '{"jsonrpc": "2.0", "id": NaN, "method": "tasks/get"}', 200, -32700, None),
    ("null body", JSON, "null", 200, -32600, None),
    ("string body", JSON, '"x"', 200, -32600, None),
    ("empty batch", JSON, "[]", 200, -32600, None),
    ("jsonrpc 1.0", JSON, _get().replace('"2.0"', '"1.0"'), 200, -32600, 1),
    ("no jsonrpc", JSON, '{"id": 1, "method": "tasks/get"}', 200, -32600, 1),
    ("method not a string", JSON, '{"jsonrpc": "2.0", "id": 1, "method": 5}', 200, -32600, 1),
    ("id 1e400", JSON, _get("1e400"), 200, -32600, None),
    ("id 2**64", JSON, _get("18446744073709551616"), 200, -32600, None),
    ("id float", JSON, _get("1.5"), 200, -32600, None),
    ("id object", JSON, _get("{}"), 200, -32600, None),
    ("id true", JSON, _get("true"), 200, -32600, None),
    ("params not an object", JSON, _get(params='"x"'), 200, -32600, 1),
    ("params nested too deep", JSON, _get(params=f'{{"id": {NESTED}}}'), 200, -32602, 1),
    ("number out of range", JSON, _get(params='{"id": "t", "x": 1e400}'), 200, -32602, 1),
    ("too deep to parse", JSON, TOO_DEEP_TO_PARSE, 200, -32600, None),
    ("unknown method", JSON, '{"jsonrpc": "2.0", "id": 1, "method": "nope"}', 200, -32601, 1),
    ("body too large", JSON, _get(params=json.dumps({"x": "y" * LIMIT})), 413, -32600, None),
]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code", "answer_id"),
    [case[1:] for case in A2A_CASES],
    ids=[case[0] for case in A2A_CASES],
)
async def test_a2a_malformed(
    raw: httpx.AsyncClient,
    content_type: str | None,
    body: str,
    status: int,
    code: int,
    answer_id: object,
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await raw.post(f"/a2a/{ECHO}", content=body.encode(), headers=headers)
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["jsonrpc"] == "2.0"
    assert answer["error"]["code"] == code, answer
    assert answer["id"] == answer_id


async def test_a2a_batch_past_the_cap_is_one_error(raw: httpx.AsyncClient) -> None:
    batch = "[" + ",".join(_get(str(i)) for i in range(101)) + "]"
    response = await raw.post(f"/a2a/{ECHO}", content=batch, headers={"content-type": JSON})
    assert response.status_code == 200
    assert response.json()["error"]["code"] == -32600


async def test_a2a_batch_within_the_cap_answers_each(raw: httpx.AsyncClient) -> None:
    batch = "[" + ",".join(_get(str(i)) for i in range(100)) + "]"
    response = await raw.post(f"/a2a/{ECHO}", content=batch, headers={"content-type": JSON})
    assert response.status_code == 200
    answers = response.json()
    assert len(answers) == 100
    assert {a["error"]["code"] for a in answers} == {-32001}  # no such task


def _ping(id_: str = "1") -> str:
    return f'{{"jsonrpc": "2.0", "id": {id_}, "method": "ping"}}'


MCP_CASES: list[tuple[str, str | None, str, int, int, object]] = [
    ("no content type", None, _ping(), 415, -32600, None),
    ("text/plain", "text/plain", _ping(), 415, -32600, None),
    ("form", "application/x-www-form-urlencoded", _ping(), 415, -32600, None),
    ("not json", JSON, "{", 400, -32700, None),
    ("NaN", JSON, '{"jsonrpc": "2.0", "id": NaN, "method": "ping"}', 400, -32700, None),
    ("null body", JSON, "null", 400, -32600, None),
    ("batch", JSON, f"[{_ping()}]", 400, -32600, None),
    ("empty batch", JSON, "[]", 400, -32600, None),
    ("jsonrpc 1.0", JSON, _ping().replace('"2.0"', '"1.0"'), 400, -32600, None),
    ("no jsonrpc", JSON, '{"id": 1, "method": "ping"}', 400, -32600, None),
    ("id 1e400", JSON, _ping("1e400"), 400, -32600, None),
    ("id null", JSON, _ping("null"), 400, -32600, None),
    ("id float", JSON, _ping("1.5"), 400, -32600, None),
    ("id bool", JSON, _ping("true"), 400, -32600, None),
    ("id object", JSON, _ping("{}"), 400, -32600, None),
    ("method not a string", JSON, '{"jsonrpc": "2.0", "id": 1, "method": 5}', 400, -32600, 1),
    ("neither request nor response", JSON, '{"jsonrpc": "2.0", "id": 1}', 400, -32600, None),
    (
        "params nested too deep",
        JSON,
        f'{{"jsonrpc": "2.0", "id": 3, "method": "ping", "params": {{"x": {NESTED}}}}}',
        400,
        -32602,
        3,
    ),
    (
        "number out of range",
        JSON,
        '{"jsonrpc": "2.0", "id": 3, "method": "ping", "params": {"x": 1e400}}',
        400,
        -32602,
        3,
    ),
    ("too deep to parse", JSON, TOO_DEEP_TO_PARSE, 400, -32600, None),
    ("body too large", JSON, json.dumps({"x": "y" * LIMIT}), 413, -32600, None),
]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code", "answer_id"),
    [case[1:] for case in MCP_CASES],
    ids=[case[0] for case in MCP_CASES],
)
async def test_mcp_malformed(
    raw: httpx.AsyncClient,
    content_type: str | None,
    body: str,
    status: int,
    code: int,
    answer_id: object,
) -> None:
    headers = {"accept": MCP_ACCEPT, "mcp-protocol-version": "2025-11-25"}
    if content_type:
        headers["content-type"] = content_type
    response = await raw.post("/mcp", content=body.encode(), headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert answer["jsonrpc"] == "2.0"
    assert answer["error"]["code"] == code, answer
    assert answer["id"] == answer_id
