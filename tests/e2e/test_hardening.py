"""Hardening at the edges: nesting, numeric bounds, filters, system assistants, bundled agents'
input, bounded thread streams, Host/Origin on every door, links from the configured URL, 405s,
the OpenAPI document's declarations, and the MCP door's first burst."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from .support import (
    COUNTDOWN,
    ECHO,
    MCP_ACCEPT,
    TIMEOUT,
    ServerProcess,
    a2a_send_v03,
    mcp_initialize,
    running_server,
)

DEPTH = 300  # past orjson's 254 levels; the server's limit is 128


def deep(depth: int = DEPTH) -> object:
    value: object = {}
    for _ in range(depth):
        value = [value]
    return value


def _deep_body(prefix: bytes, depth: int = DEPTH) -> bytes:
    return prefix + b"[" * depth + b"]" * depth + b"}"


JSON = {"content-type": "application/json"}


async def new_thread(http: httpx.AsyncClient) -> str:
    response = await http.post("/threads", json={})
    assert response.status_code == 200
    return str(response.json()["thread_id"])


# -- 1. nesting -------------------------------------------------------------------------------


async def test_deep_nesting_is_422_on_every_rest_body(http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(http)
    cases = [
        ("/threads", b'{"metadata": {"k": '),
        ("/assistants", b'{"graph_id": "echo", "config": {"k": '),
        (f"/threads/{thread_id}/runs/wait", b'{"assistant_id": "echo", "input": {"k": '),
        ("/runs/wait", b'{"assistant_id": "echo", "input": {"k": '),
    ]
    for path, prefix in cases:
        response = await http.post(path, content=_deep_body(prefix) + b"}", headers=JSON)
        assert response.status_code == 422, (path, response.text)


async def test_nesting_within_the_limit_round_trips(http: httpx.AsyncClient) -> None:
    value = deep(100)
    response = await http.post("/threads", json={"metadata": {"k": value}})
    assert response.status_code == 200
    assert response.json()["metadata"]["k"] == value


async def test_a2a_blocking_send_with_deep_nesting_answers_at_once(
    http: httpx.AsyncClient,
) -> None:
    part = {"kind": "data", "data": {"k": deep()}}
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "message/send",
        "params": {
            "message": {"role": "user", "messageId": "m1", "kind": "message", "parts": [part]},
            "configuration": {"blocking": True},
        },
    }
    raw = json.dumps(body).encode()
    response = await http.post(f"/a2a/{ECHO}", content=raw, headers=JSON, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.json()["error"]["code"] == -32602
    assert response.json()["id"] == 7


# -- 2. numeric bounds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/runs", {"assistant_id": ECHO, "input": {}, "after_seconds": 1e18}),
        ("/runs", {"assistant_id": ECHO, "input": {}, "after_seconds": -1}),
        ("/runs/wait", {"assistant_id": ECHO, "config": {"recursion_limit": 0}}),
        ("/threads/search", {"limit": 1001}),
        ("/threads/search", {"offset": 2**63}),
        ("/threads/search", {"offset": -1}),
        ("/assistants/search", {"offset": 2**31}),
        ("/assistants/search", {"limit": "10"}),
        ("/threads/search", {"limit": 10.5}),
    ],
)
async def test_numbers_out_of_bounds_are_422(
    http: httpx.AsyncClient, path: str, body: dict[str, object]
) -> None:
    response = await http.post(path, json=body)
    assert response.status_code == 422, response.text


async def test_text_with_nul_is_422_on_every_door(http: httpx.AsyncClient) -> None:
    # PostgreSQL stores no U+0000 in text or jsonb: refused at the edge on every backend.
    assert (await http.post("/threads", json={"metadata": {"k": "a\u0000"}})).status_code == 422
    assert (
        await http.post("/assistants/count", json={"metadata": {"k\u0000": 1}})
    ).status_code == 422
    a2a = a2a_send_v03("nul \u0000")
    response = await http.post("/a2a/echo", json=a2a)
    assert response.json()["error"]["code"] == -32602


async def test_query_numbers_out_of_bounds_are_422(http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(http)
    for query in ("offset=9223372036854775808", "offset=-1", "limit=0", "limit=1001"):
        response = await http.get(f"/threads/{thread_id}/runs?{query}")
        assert response.status_code == 422, (query, response.text)
    assert (await http.get(f"/threads/{thread_id}/runs?offset=2147483647")).status_code == 200


async def test_an_integral_float_counts_as_an_integer(http: httpx.AsyncClient) -> None:
    assert (await http.post("/threads/search", json={"limit": 10.0})).status_code == 200


# -- 3. checkpoint filter keys ----------------------------------------------------------------


async def test_history_filter_key_with_a_space_is_422(http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(http)
    bad = await http.post(f"/threads/{thread_id}/history", json={"metadata": {"a b": 1}})
    assert bad.status_code == 422
    injected = await http.post(f"/threads/{thread_id}/history", json={"metadata": {"a')--": 1}})
    assert injected.status_code == 422
    good = await http.post(f"/threads/{thread_id}/history", json={"metadata": {"step": 1}})
    assert good.status_code == 200


# -- 5. bundled agents validate their input ---------------------------------------------------


@pytest.mark.parametrize(
    "given", [{"n": 1e308, "delay": 0}, {"n": -1}, {"n": 3, "delay": 1e9}, {"n": "many"}]
)
async def test_countdown_refuses_input_out_of_bounds(
    http: httpx.AsyncClient, given: dict[str, object]
) -> None:
    thread_id = await new_thread(http)
    started = time.monotonic()
    response = await http.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": COUNTDOWN, "input": given},
        timeout=TIMEOUT,
    )
    assert time.monotonic() - started < TIMEOUT
    assert response.status_code in (200, 500), response.text
    runs = (await http.get(f"/threads/{thread_id}/runs")).json()
    assert [run["status"] for run in runs] == ["error"]


# -- 6. a bounded thread stream ---------------------------------------------------------------


async def test_thread_stream_with_timeout_ends(http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(http)
    started = time.monotonic()
    response = await http.get(f"/threads/{thread_id}/stream?timeout=1", timeout=TIMEOUT)
    assert response.status_code == 200
    assert 0.9 <= time.monotonic() - started < TIMEOUT
    for bad in ("0", "86401", "x"):
        refused = await http.get(f"/threads/{thread_id}/stream?timeout={bad}")
        assert refused.status_code == 422


# -- 9. system assistants ---------------------------------------------------------------------


async def test_deleting_a_system_assistant_is_409(http: httpx.AsyncClient) -> None:
    system = (await http.get(f"/assistants/{ECHO}")).json()
    response = await http.delete(f"/assistants/{system['assistant_id']}")
    assert response.status_code == 409
    assert (await http.delete(f"/assistants/{ECHO}")).status_code == 409
    assert (await http.get(f"/assistants/{ECHO}")).status_code == 200
    own = await http.post("/assistants", json={"graph_id": ECHO})
    assert (await http.delete(f"/assistants/{own.json()['assistant_id']}")).status_code in (
        200,
        204,
    )


# -- 8. Host and Origin on every door ---------------------------------------------------------


def _doors(thread_id: str) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("POST", "/threads", {}),
        ("GET", f"/threads/{thread_id}", None),
        ("POST", f"/a2a/{ECHO}", {"jsonrpc": "2.0", "id": 1, "method": "tasks/get"}),
        ("GET", "/.well-known/agent-card.json", None),
        ("POST", "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "ping"}),
        ("GET", "/ok", None),
    ]


async def test_a_foreign_host_is_refused_on_every_door(http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(http)
    for method, path, body in _doors(thread_id):
        response = await http.request(
            method, path, json=body, headers={"host": "attacker.example", "accept": MCP_ACCEPT}
        )
        assert response.status_code == 421, (path, response.text)
        assert response.headers["content-type"].startswith("application/json")


async def test_a_foreign_origin_is_refused_on_every_door(http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(http)
    for method, path, body in _doors(thread_id):
        response = await http.request(
            method,
            path,
            json=body,
            headers={"origin": "https://attacker.example", "accept": MCP_ACCEPT},
        )
        assert response.status_code == 403, (path, response.text)


async def test_a_loopback_origin_is_allowed(http: httpx.AsyncClient) -> None:
    response = await http.post("/threads", json={}, headers={"origin": "http://localhost:3000"})
    assert response.status_code == 200


async def test_card_urls_come_from_the_configured_url(
    http: httpx.AsyncClient, base_url: str
) -> None:
    # `localhost:1` passes the Host allow-list; the card must still name the server's own URL.
    response = await http.get("/.well-known/agent-card.json", headers={"host": "localhost:1"})
    assert response.status_code == 200
    urls = [i["url"] for i in response.json()["supportedInterfaces"]]
    assert urls and all(url.startswith(base_url + "/a2a/") for url in urls)


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Bound to loopback with configured lists: another origin allowed, any host."""
    env = {"INTEROP_ALLOWED_ORIGINS": "https://app.example", "INTEROP_MCP_ALLOWED_HOSTS": "*"}
    with running_server(tmp_path_factory.mktemp("open"), env=env) as server:
        yield server


async def test_allow_lists_are_configurable_and_old_names_work(open_server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=open_server.url, timeout=TIMEOUT) as raw:
        allowed = await raw.post("/threads", json={}, headers={"origin": "https://app.example"})
        assert allowed.status_code == 200
        refused = await raw.post("/threads", json={}, headers={"origin": "http://localhost:3000"})
        assert refused.status_code == 403
        any_host = await raw.post("/threads", json={}, headers={"host": "anything.example"})
        assert any_host.status_code == 200


# -- 10. 405 and the OpenAPI document ---------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("TRACE", "/threads"), ("PUT", "/threads/search"), ("PATCH", "/threads/count")],
)
async def test_unsupported_methods_are_405_with_allow(
    http: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await http.request(method, path)
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


async def test_openapi_declares_what_the_server_checks(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    limit = schemas["ThreadSearch"]["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 1000)
    assert schemas["ThreadSearch"]["properties"]["offset"]["maximum"] == 2**31 - 1
    after = schemas["RunCreateStateful"]["properties"]["after_seconds"]["anyOf"][0]
    assert after["maximum"] == 7 * 24 * 3600
    thread_get = doc["paths"]["/threads/{thread_id}"]["get"]
    thread_param = next(p for p in thread_get["parameters"] if p["name"] == "thread_id")
    assert thread_param["schema"]["format"] == "uuid"
    assert doc["paths"]["/threads"]["post"]["requestBody"]["required"] is False
    assert doc["paths"]["/assistants"]["post"]["requestBody"]["required"] is True
    runs_query = doc["paths"]["/threads/{thread_id}/runs"]["get"]["parameters"]
    offset = next(p for p in runs_query if p["name"] == "offset")
    assert offset["schema"]["maximum"] == 2**31 - 1


# -- 4. the MCP door's first burst ------------------------------------------------------------


async def test_a_burst_at_first_contact_with_mcp_is_served(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # A fresh server: the MCP door starts on the first /mcp request, here 20 at once.
    with running_server(tmp_path_factory.mktemp("mcp-burst")) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as raw:
            answers = await asyncio.gather(*(mcp_initialize(raw) for _ in range(20)))
    assert [a.status_code for a in answers] == [200] * 20


async def test_lowercase_bearer_scheme_is_accepted(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    token = uuid.uuid4().hex
    with running_server(tmp_path_factory.mktemp("bearer"), "--auth-token", token) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as raw:
            for scheme in ("Bearer", "bearer", "BEARER"):
                response = await raw.get("/info", headers={"authorization": f"{scheme} {token}"})
                assert response.status_code == 200, scheme
            wrong = await raw.get("/info", headers={"authorization": f"bearer {token}x"})
            assert wrong.status_code == 401
