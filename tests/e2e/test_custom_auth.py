"""Custom auth (conformance/rest/custom_auth: two users, owner filters, a 403 handler) on a real
server, through every door: the REST checks of conformance/rest/test_custom_auth.py with the
official SDK, A2A with a2a-sdk, MCP with the official client."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import mcp_types as types
import pytest
from a2a.client import ClientConfig, ClientFactory
from a2a.client.client import Client as A2AClient
from a2a.client.errors import A2AClientError
from a2a.types.a2a_pb2 import GetTaskRequest, ListTasksRequest, TaskState
from a2a.utils.errors import TaskNotFoundError
from langgraph_sdk import get_client
from mcp.client import Client as McpClient
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from .a2a.test_sdk_client import MODES, card_of, send, text_message
from .support import TIMEOUT, ServerProcess, parse_sse, running_server

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "conformance" / "rest" / "custom_auth"
TOKENS = {"alice": "token-alice", "bob": "token-bob"}
THREAD = "interop/thread_id"
IGNORED = "the-simple-token"


def _bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("custom-auth")
    # --auth-token beside a custom handler is ignored (with a warning): the handler decides.
    args = ("--config", str(PROJECT / "langgraph.json"), "--auth-token", IGNORED)
    with running_server(workdir, *args) as process:
        yield process


@pytest.fixture(scope="module")
def shared(server: ServerProcess) -> str:
    """An echo assistant alice owns and bob may read and run."""
    with httpx.Client(base_url=server.url, headers=_bearer("alice"), timeout=TIMEOUT) as http:
        body = {"graph_id": "echo", "name": "shared echo", "metadata": {"readers": ["bob"]}}
        response = http.post("/assistants", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["assistant_id"])


# -- REST ------------------------------------------------------------------------------------


@pytest.mark.timeout(300)
def test_rest_conformance_auth_checks_pass(server: ServerProcess) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "0",  # one process: the suite shares one server
            str(ROOT / "conformance" / "rest" / "test_custom_auth.py"),
            "--base-url",
            server.url,
            "--auth-tokens",
            f"{TOKENS['alice']},{TOKENS['bob']}",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


async def test_open_paths_and_the_ignored_token(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        assert (await http.get("/ok")).status_code == 200
        assert (await http.get("/openapi.json")).status_code == 401
        assert (await http.get("/openapi.json", headers=_bearer("bob"))).status_code == 200
        ignored = {"Authorization": f"Bearer {IGNORED}"}
        assert (await http.post("/threads/search", json={}, headers=ignored)).status_code == 401


# -- A2A -------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def a2a_client(
    base_url: str, assistant_id: str, user: str | None
) -> AsyncIterator[A2AClient]:
    headers = _bearer(user) if user else {}
    async with httpx.AsyncClient(timeout=TIMEOUT, headers=headers) as http:
        card = await card_of(base_url, assistant_id, "1.0")
        config = ClientConfig(
            streaming=False, httpx_client=http, supported_protocol_bindings=[MODES["1.0"][1]]
        )
        client = ClientFactory(config).create(card)
        try:
            yield client
        finally:
            await client.close()


async def test_a2a_cards_declare_the_projects_security_scheme(
    server: ServerProcess, shared: str
) -> None:
    # `auth.openapi` of langgraph.json: what the OpenAPI document and every card declare.
    card = await card_of(server.url, shared, "1.0")  # what a2a-sdk 1.x makes of the card
    http_scheme = card.security_schemes["tokenAuth"].http_auth_security_scheme
    assert http_scheme.scheme.lower() == "bearer"  # names of HTTP schemes ignore case
    assert list(card.security_requirements[0].schemes) == ["tokenAuth"]
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        legacy = (await http.get(f"/a2a/{shared}/.well-known/agent-card.json")).json()
        document = (await http.get("/openapi.json", headers=_bearer("bob"))).json()
    strict = await http_get_v1(server.url, f"/a2a/{shared}/.well-known/agent-card.json")
    assert strict["securitySchemes"]["tokenAuth"] == {
        "httpAuthSecurityScheme": {"scheme": "Bearer", "description": "token-alice or token-bob"}
    }
    assert legacy["securitySchemes"]["tokenAuth"]["type"] == "http"  # the 0.3 form beside it
    assert legacy["security"] == [{"tokenAuth": []}]
    assert document["components"]["securitySchemes"]["tokenAuth"]["scheme"] == "bearer"


async def http_get_v1(base_url: str, path: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT) as http:
        response = await http.get(path, headers={"A2A-Version": "1.0"})
    assert response.status_code == 200
    data: dict[str, Any] = response.json()
    return data


async def test_a2a_task_of_another_user_is_not_found(server: ServerProcess, shared: str) -> None:
    async with a2a_client(server.url, shared, "alice") as alice:
        task = await send(alice, text_message("alice's secret"))
        assert task.status.state == TaskState.TASK_STATE_COMPLETED
        assert (await alice.get_task(GetTaskRequest(id=task.id))).id == task.id
    async with a2a_client(server.url, shared, "bob") as bob:
        with pytest.raises(TaskNotFoundError):
            await bob.get_task(GetTaskRequest(id=task.id))
        listed = await bob.list_tasks(ListTasksRequest())
        assert task.id not in {t.id for t in listed.tasks}
        # the context is alice's: bob cannot continue it either
        with pytest.raises(TaskNotFoundError):
            await send(bob, text_message("mine now?", context_id=task.context_id))
        own = await send(bob, text_message("bob's own"))
        assert own.status.state == TaskState.TASK_STATE_COMPLETED
        assert own.context_id != task.context_id


async def test_a2a_without_credentials_is_401(server: ServerProcess, shared: str) -> None:
    async with a2a_client(server.url, shared, None) as anonymous:
        with pytest.raises(A2AClientError):  # its HTTP error (the status is checked below)
            await send(anonymous, text_message("who am I"))
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        rpc = {"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}
        response = await http.post(f"/a2a/{shared}", json=rpc, headers={"A2A-Version": "1.0"})
        assert response.status_code == 401


# -- MCP -------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def mcp_client(base_url: str, user: str | None, mode: str) -> AsyncIterator[McpClient]:
    headers = _bearer(user) if user else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=TIMEOUT) as http,
        McpClient(
            streamable_http_client(base_url + "/mcp", http_client=http),
            mode=mode,
            read_timeout_seconds=TIMEOUT,
        ) as client,
    ):
        yield client


async def _tool_of(client: McpClient, assistant_id: str) -> str:
    tools = (await client.list_tools()).tools
    return next(t.name for t in tools if (t.meta or {}).get("interop/assistant_id") == assistant_id)


def _text(result: types.CallToolResult) -> str:
    return next(b.text for b in result.content if isinstance(b, types.TextContent))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_call_on_another_users_thread_fails(
    server: ServerProcess, shared: str, mode: str
) -> None:
    async with mcp_client(server.url, "alice", mode) as alice:
        tool = await _tool_of(alice, shared)
        first = await alice.call_tool(tool, {"message": "alice here"})
        assert not first.is_error and first.meta is not None
        thread_id = first.meta[THREAD]
        again = await alice.call_tool(tool, {"message": "still alice", "thread_id": thread_id})
        assert not again.is_error and _text(again) == "still alice"
    async with get_client(url=server.url, headers=_bearer("alice")) as sdk:
        thread: dict[str, Any] = dict(await sdk.threads.get(thread_id))
        assert thread["metadata"]["owner"] == "alice"  # the thread MCP made is alice's
    async with mcp_client(server.url, "bob", mode) as bob:
        stolen = await bob.call_tool(tool, {"message": "bob here", "thread_id": thread_id})
        assert stolen.is_error
        own = await bob.call_tool(tool, {"message": "bob's own"})
        assert not own.is_error and own.meta is not None and own.meta[THREAD] != thread_id


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_lists_the_tools_of_the_assistants_a_caller_may_read(
    server: ServerProcess, shared: str, mode: str
) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=_bearer("alice")) as http:
        body = {"graph_id": "echo", "name": "alice only", "metadata": {"readers": []}}
        private = (await http.post("/assistants", json=body)).json()["assistant_id"]

    async def listed(user: str) -> set[str]:
        async with mcp_client(server.url, user, mode) as client:
            tools = (await client.list_tools()).tools
            ids = {(t.meta or {}).get("interop/assistant_id") for t in tools}
            if user == "bob":  # a tool hidden from a caller is unknown to them
                with pytest.raises(MCPError) as refused:
                    await client.call_tool(_name_for(tools_of_alice, private), {"message": "x"})
                assert refused.value.error.code == types.INVALID_PARAMS
            return {i for i in ids if isinstance(i, str)}

    async with mcp_client(server.url, "alice", mode) as alice:
        tools_of_alice = (await alice.list_tools()).tools
    assert {shared, private} <= await listed("alice")
    seen_by_bob = await listed("bob")
    assert shared in seen_by_bob and private not in seen_by_bob


def _name_for(tools: list[types.Tool], assistant_id: str) -> str:
    return next(t.name for t in tools if (t.meta or {}).get("interop/assistant_id") == assistant_id)


async def test_mcp_without_credentials_is_401_with_a_challenge(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        denied = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Accept": "application/json, text/event-stream"},
        )
        assert denied.status_code == 401
        challenge = denied.headers["www-authenticate"]
        assert challenge.startswith("Bearer ") and "resource_metadata=" in challenge
        wrong = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={"Accept": "application/json, text/event-stream", "Authorization": "Bearer x"},
        )
        assert wrong.status_code == 401 and "www-authenticate" in wrong.headers
    with pytest.RaisesGroup(
        pytest.RaisesGroup(pytest.RaisesExc(MCPError, check=lambda e: e.error.code == -32001))
    ):  # the client cannot start without credentials: the server's 401 error
        async with mcp_client(server.url, None, "legacy") as anonymous:
            await anonymous.list_tools()


async def _legacy_session(http: httpx.AsyncClient) -> dict[str, str]:
    """A 2025-11-25 session over raw HTTP (the caller is the client's Authorization)."""
    accept = "application/json, text/event-stream"
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    response = await http.post("/mcp", headers={"accept": accept}, json=body)
    assert response.status_code == 200, response.text
    headers = {
        "accept": accept,
        "mcp-session-id": response.headers["mcp-session-id"],
        "mcp-protocol-version": "2025-11-25",
    }
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    await http.post("/mcp", headers=headers, json=initialized)
    return headers


async def _rpc(
    http: httpx.AsyncClient, session: dict[str, str], method: str, params: dict[str, Any]
) -> dict[str, Any]:
    response = await http.post(
        "/mcp",
        headers=session,
        json={"jsonrpc": "2.0", "id": 7, "method": method, "params": params},
    )
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        records, _ = parse_sse(response.text)
        message: dict[str, Any] = records[-1].data
        return message
    answer: dict[str, Any] = response.json()
    return answer


async def test_mcp_task_of_another_user_is_unknown(server: ServerProcess, shared: str) -> None:
    async with (
        httpx.AsyncClient(base_url=server.url, headers=_bearer("alice"), timeout=TIMEOUT) as alice,
        httpx.AsyncClient(base_url=server.url, headers=_bearer("bob"), timeout=TIMEOUT) as bob,
    ):
        mine = await _legacy_session(alice)
        listed = await _rpc(alice, mine, "tools/list", {})
        tool = next(
            t["name"]
            for t in listed["result"]["tools"]
            if t.get("_meta", {}).get("interop/assistant_id") == shared
        )
        call = {"name": tool, "arguments": {"message": "task"}, "task": {"ttl": 60_000}}
        created = await _rpc(alice, mine, "tools/call", call)
        task_id = created["result"]["task"]["taskId"]
        theirs = await _legacy_session(bob)
        for method in ("tasks/get", "tasks/result", "tasks/cancel"):
            refused = await _rpc(bob, theirs, method, {"taskId": task_id})
            assert refused["error"]["code"] == -32602, method
        assert task_id not in {
            t["taskId"] for t in (await _rpc(bob, theirs, "tasks/list", {}))["result"]["tasks"]
        }
        result = await _rpc(alice, mine, "tasks/result", {"taskId": task_id})
        assert "result" in result and not result["result"].get("isError")
        assert task_id in {
            t["taskId"] for t in (await _rpc(alice, mine, "tasks/list", {}))["result"]["tasks"]
        }
