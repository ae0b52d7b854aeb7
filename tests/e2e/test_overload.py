"""A full run queue: every door that creates a run answers it with its 503 and Retry-After.

The server has one worker and room for two waiting runs; three stateless `countdown` runs (the
local queue in every configuration) fill it: one running, two waiting.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient
from mcp import types
from mcp.client import Client
from mcp.shared.exceptions import MCPError

from .support import (
    COUNTDOWN,
    ECHO,
    TIMEOUT,
    ServerProcess,
    countdown_input,
    eventually,
    run_status,
    running_server,
    status_of,
    user_message,
)

INTERNAL_ERROR = -32603  # A2A and MCP: the JSON-RPC error of a server that cannot take a call


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("overload")
    with running_server(workdir, "--workers-per-process", "1", "--max-queued-runs", "2") as server:
        yield server


async def _gone(client: LangGraphClient, run: dict[str, Any]) -> bool:
    """Whether the temporary run has ended (and was deleted with its thread)."""
    try:
        await client.runs.get(run["thread_id"], run["run_id"])
    except httpx.HTTPStatusError as exc:
        return exc.response.status_code == 404
    return False


@pytest.fixture
async def full_queue(client: LangGraphClient) -> AsyncIterator[list[dict[str, Any]]]:
    """The queue filled: one long stateless run running, two waiting; afterwards they are
    cancelled and gone."""
    runs: list[dict[str, Any]] = []
    try:
        for _ in range(3):
            runs.append(await client.runs.create(None, COUNTDOWN, input=countdown_input(600, 0.1)))
        await run_status(client, runs[0]["thread_id"], runs[0]["run_id"], {"running"})
        for run in runs[1:]:
            assert (await client.runs.get(run["thread_id"], run["run_id"]))["status"] == "pending"
        yield runs
    finally:
        for run in reversed(runs):
            if not await _gone(client, run):
                await client.runs.cancel(run["thread_id"], run["run_id"])
        for run in runs:
            await eventually(lambda run=run: _gone(client, run), bool, what="run cancelled")


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()


@pytest.mark.parametrize(
    "path",
    [
        "/runs",
        "/runs/wait",
        "/runs/stream",
        "/threads/{thread_id}/runs",
        "/threads/{thread_id}/runs/wait",
        "/threads/{thread_id}/runs/stream",
    ],
)
async def test_rest_runs_get_503(
    full_queue: list[dict[str, Any]], http: httpx.AsyncClient, path: str
) -> None:
    thread_id = (await http.post("/threads", json={})).json()["thread_id"]
    body = {"assistant_id": ECHO, "input": user_message("hello")}
    response = await http.post(path.format(thread_id=thread_id), json=body)
    assert_unavailable(response)
    assert "detail" in response.json()


async def test_the_sdk_sees_503(full_queue: list[dict[str, Any]], client: LangGraphClient) -> None:
    assert await status_of(client.runs.wait(None, ECHO, input=user_message("hi"))) == 503


def _a2a_message(version: str) -> dict[str, Any]:
    if version == "1.0":
        return {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": "hi"}]}
    parts = [{"kind": "text", "text": "hi"}]
    return {"kind": "message", "messageId": str(uuid.uuid4()), "role": "user", "parts": parts}


@pytest.mark.parametrize(
    ("version", "method"),
    [
        ("0.3", "message/send"),
        ("0.3", "message/stream"),
        ("1.0", "SendMessage"),
        ("1.0", "SendStreamingMessage"),
    ],
)
async def test_a2a_jsonrpc_gets_503(
    full_queue: list[dict[str, Any]], http: httpx.AsyncClient, version: str, method: str
) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": method,
        "params": {"message": _a2a_message(version)},
    }
    response = await http.post(f"/a2a/{ECHO}", json=body, headers={"A2A-Version": version})
    assert_unavailable(response)
    answer = response.json()
    assert answer["id"] == 7 and answer["error"]["code"] == INTERNAL_ERROR


@pytest.mark.parametrize("operation", ["message:send", "message:stream"])
async def test_a2a_http_json_gets_503(
    full_queue: list[dict[str, Any]], http: httpx.AsyncClient, operation: str
) -> None:
    body = {"message": _a2a_message("1.0")}
    response = await http.post(f"/a2a/{ECHO}/{operation}", json=body)
    assert_unavailable(response)
    assert response.json()["error"]["status"] == "UNAVAILABLE"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_mcp_tool_call_is_refused(
    full_queue: list[dict[str, Any]], base_url: str, mode: str
) -> None:
    async with Client(base_url + "/mcp", mode=mode, read_timeout_seconds=TIMEOUT) as mcp:
        with pytest.raises(MCPError) as caught:
            await mcp.call_tool("echo", {"message": "hi"})
    assert caught.value.error.code == types.INTERNAL_ERROR


async def test_runs_are_taken_again_once_the_queue_drains(
    full_queue: list[dict[str, Any]], client: LangGraphClient, http: httpx.AsyncClient
) -> None:
    body = {"assistant_id": ECHO, "input": user_message("back")}
    assert_unavailable(await http.post("/runs", json=body))
    await client.runs.cancel(full_queue[1]["thread_id"], full_queue[1]["run_id"])
    accepted = await eventually(
        lambda: http.post("/runs", json=body),
        lambda response: response.status_code == 200,
        what="a run accepted again",
    )
    run = accepted.json()
    await client.runs.cancel(full_queue[0]["thread_id"], full_queue[0]["run_id"])
    # The freed worker takes the echo run in its turn; it ends (and, stateless, is deleted).
    await eventually(lambda: _gone(client, run), bool, what="the accepted run ended")
