"""The 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`) over real HTTP.

One `interop serve` with the example agents and a config setting task policies per tool:
`approval` hands its run over at once (`taskAfterMs: 0`), `countdown_required` needs the
extension, `countdown_plain` never becomes a task, `ask_then_work` (a file agent) asks first,
then works long enough to become a task. Other tools use the default policy (a call becomes a
task when its run outlasts one second). Requests are raw 2026 exchanges (per-request `_meta`
envelope, `Mcp-Method` / `Mcp-Name`), plus the official client for the fallback.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient
from mcp.client import Client

from .support import (
    TIMEOUT,
    ServerProcess,
    eventually,
    mcp_initialize,
    parse_sse,
    running_server,
)

MODERN = "2026-07-28"
LEGACY = "2025-11-25"
EXTENSION = "io.modelcontextprotocol/tasks"
TASKS = {EXTENSION: {}}
ACCEPT = "application/json, text/event-stream"
TERMINAL = frozenset({"completed", "failed", "cancelled"})
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
HEADER_MISMATCH = -32020
MISSING_CAPABILITY = -32021

AGENT = """
import asyncio
from langchain_core.messages import AIMessage
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt


async def ask_then_work(state):
    answer = interrupt({"question": "Which colour?"})
    await asyncio.sleep(2)
    return {"messages": [AIMessage(content=f"Painted it {answer}.")]}


builder = StateGraph(MessagesState)
builder.add_node("work", ask_then_work)
builder.add_edge(START, "work")
builder.add_edge("work", END)
graph = builder.compile()
"""

CONFIG = {
    "graphs": {
        "echo": "interop.examples.echo:graph",
        "approval": "interop.examples.approval:graph",
        "countdown": "interop.examples.countdown:graph",
        "countdown_required": "interop.examples.countdown:graph",
        "countdown_plain": "interop.examples.countdown:graph",
        "ask_then_work": "./agents.py:graph",
    },
    "mcp": {
        "tools": {
            "approval": {"taskAfterMs": 0},
            "countdown_required": {"taskSupport": "required"},
            "countdown_plain": {"taskSupport": "forbidden"},
            "ask_then_work": {"taskAfterMs": 500},
        }
    },
}


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("mcp-tasks")
    (workdir / "agents.py").write_text(AGENT)
    config = workdir / "interop.json"
    config.write_text(json.dumps(CONFIG))
    with running_server(workdir, "--config", str(config)) as server:
        yield server


class RpcError(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error)
        self.status = status
        self.code = error.get("code")
        self.data = error.get("data")


def _message(response: httpx.Response) -> dict[str, Any]:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        records, _ = parse_sse(response.text)
        message: dict[str, Any] = records[-1].data
        return message
    body: dict[str, Any] = response.json()
    return body


class Modern:
    """A 2026-07-28 client over raw HTTP, declaring the tasks extension unless told not to."""

    def __init__(self, http: httpx.AsyncClient, capabilities: dict[str, Any]) -> None:
        self.http = http
        self.capabilities = capabilities
        self._ids = iter(range(1, 1_000_000))

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        capabilities: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """The result; RpcError for an error answer."""
        params = dict(params or {})
        caps = self.capabilities if capabilities is None else capabilities
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": caps,
        }
        headers = {"accept": ACCEPT, "mcp-protocol-version": MODERN, "mcp-method": method}
        routed = name or params.get("name") or params.get("uri") or params.get("taskId")
        if isinstance(routed, str):
            headers["mcp-name"] = routed
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        response = await self.http.post("/mcp", json=body, headers=headers)
        message = _message(response)
        if "error" in message:
            raise RpcError(response.status_code, message["error"])
        result: dict[str, Any] = message["result"]
        return result

    async def call(self, tool: str, arguments: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return await self.request("tools/call", {"name": tool, "arguments": arguments}, **kwargs)

    async def task(self, task_id: str) -> dict[str, Any]:
        return await self.request("tasks/get", {"taskId": task_id})

    async def until(self, task_id: str, statuses: frozenset[str]) -> dict[str, Any]:
        return await eventually(
            lambda: self.task(task_id),
            lambda task: task["status"] in statuses,
            what=f"task {task_id} in {sorted(statuses)}",
        )


async def _error(call: Any) -> RpcError:
    try:
        result = await call
    except RpcError as exc:
        return exc
    pytest.fail(f"expected a JSON-RPC error, got {result!r}")


@pytest.fixture
def modern(http: httpx.AsyncClient) -> Modern:
    return Modern(http, {"elicitation": {}, "extensions": TASKS})


@pytest.fixture
def undeclared(http: httpx.AsyncClient) -> Modern:
    return Modern(http, {"elicitation": {}})


async def _run(client: LangGraphClient, graph_id: str, run_id: str) -> dict[str, Any]:
    """The run `run_id` of a `graph_id` thread, through the REST API."""
    for thread in await client.threads.search(metadata={"graph_id": graph_id}, limit=1000):
        for run in await client.runs.list(thread["thread_id"], limit=100):
            if run["run_id"] == run_id:
                return dict(run)
    pytest.fail(f"run {run_id} not found")


def _text(result: dict[str, Any]) -> str:
    """The answer: the first text block (a last one names the thread)."""
    return next(b["text"] for b in result["content"] if b.get("type") == "text")


# -- advertising ------------------------------------------------------------------------------


async def test_discover_advertises_the_extension(modern: Modern) -> None:
    discovered = await modern.request("server/discover")
    capabilities = discovered["capabilities"]
    assert EXTENSION in capabilities["extensions"]
    assert "tasks" not in capabilities  # the 2025 utility's slot is not this era's


async def test_2025_sessions_are_not_offered_the_extension(http: httpx.AsyncClient) -> None:
    response = await mcp_initialize(http, version=LEGACY)
    capabilities = _message(response)["result"]["capabilities"]
    assert EXTENSION not in (capabilities.get("extensions") or {})
    assert "tools" in capabilities["tasks"]["requests"]


# -- a long call becomes a task -------------------------------------------------------------------


async def test_long_call_becomes_a_task_that_completes(
    modern: Modern, client: LangGraphClient
) -> None:
    created = await modern.call("countdown", {"n": 4, "delay": 1})
    assert created["resultType"] == "task"
    task_id = created["taskId"]
    assert created["status"] == "working"
    assert "task" not in created and "result" not in created and "requestState" not in created
    assert ISO.match(created["createdAt"]) and ISO.match(created["lastUpdatedAt"])
    assert isinstance(created["ttlMs"], int) and created["ttlMs"] > 0
    assert isinstance(created["pollIntervalMs"], int) and created["pollIntervalMs"] > 0
    working = await modern.task(task_id)  # at once: the task exists before its handle is sent
    assert working["taskId"] == task_id
    assert working["status"] == "working"
    assert working["resultType"] == "complete"

    done = await modern.until(task_id, TERMINAL)
    assert done["status"] == "completed"
    assert done["resultType"] == "complete"
    result = done["result"]
    assert _text(result) == "done"
    assert not result.get("isError")
    # The task id is the id of the run; the result names its thread, as a plain result does.
    assert result["_meta"]["run_id"] == task_id
    thread_id = result["_meta"]["thread_id"]
    assert result["_meta"]["interop/thread_id"] == thread_id
    assert "io.modelcontextprotocol/related-task" not in result["_meta"]
    assert isinstance(result["structuredContent"], dict)

    run = await client.runs.get(thread_id, task_id)
    assert run["status"] == "success"


async def test_task_result_has_the_shape_of_a_plain_result(
    modern: Modern, undeclared: Modern
) -> None:
    plain = await undeclared.call("countdown", {"n": 1, "delay": 0.05})
    created = await modern.call("countdown", {"n": 2, "delay": 1})
    assert created["resultType"] == "task"
    done = await modern.until(created["taskId"], TERMINAL)
    result = done["result"]
    assert set(result) - {"_meta"} == set(plain) - {"_meta"}
    assert {k for k in result["_meta"] if not k.startswith("io.modelcontextprotocol/")} == {
        k for k in plain["_meta"] if not k.startswith("io.modelcontextprotocol/")
    }
    assert _text(result) == _text(plain) == "done"


async def test_fast_call_is_answered_directly(modern: Modern) -> None:
    result = await modern.call("echo", {"message": "quick"})
    assert result["resultType"] == "complete"
    assert "taskId" not in result
    assert _text(result) == "quick"


async def test_forbidden_tool_is_never_a_task(modern: Modern) -> None:
    result = await modern.call("countdown_plain", {"n": 2, "delay": 0.8})
    assert result["resultType"] == "complete"
    assert _text(result) == "done"


async def test_legacy_task_param_is_ignored_in_2026(modern: Modern) -> None:
    result = await modern.request(
        "tools/call",
        {"name": "echo", "arguments": {"message": "hi"}, "task": {"ttl": 60_000}},
    )
    assert result["resultType"] == "complete"
    assert "task" not in result
    assert _text(result) == "hi"


# -- cancel ------------------------------------------------------------------------------------


async def test_cancel_cancels_the_run(modern: Modern, client: LangGraphClient) -> None:
    created = await modern.call("countdown", {"n": 60, "delay": 1})
    task_id = created["taskId"]
    ack = await modern.request("tasks/cancel", {"taskId": task_id})
    assert ack["resultType"] == "complete"
    assert not {"taskId", "status", "result", "error"} & set(ack)
    cancelled = await modern.until(task_id, TERMINAL)
    assert cancelled["status"] == "cancelled"
    assert "result" not in cancelled
    run = await _run(client, "countdown", task_id)
    assert run["status"] == "interrupted"
    # Cancelling a terminal task is acknowledged the same way, and changes nothing.
    again = await modern.request("tasks/cancel", {"taskId": task_id})
    assert again["resultType"] == "complete"
    assert (await modern.task(task_id))["status"] == "cancelled"


# -- input_required -------------------------------------------------------------------------------


async def test_interrupt_is_input_required_and_update_continues_the_run(modern: Modern) -> None:
    created = await modern.call("approval", {"message": "ship it"})
    assert created["resultType"] == "task"
    task_id = created["taskId"]
    waiting = await modern.until(task_id, TERMINAL | {"input_required"})
    assert waiting["status"] == "input_required"
    requests = waiting["inputRequests"]
    assert len(requests) == 1
    key, request = next(iter(requests.items()))
    assert request["method"] == "elicitation/create"
    assert "ship it" in request["params"]["message"]
    # The form is the agent's answer schema: one boolean, answered as such.
    assert request["params"]["requestedSchema"]["properties"]["approved"]["type"] == "boolean"
    assert "requestState" not in waiting

    # Answers to keys the task does not ask are ignored (and acknowledged).
    ignored = await modern.request(
        "tasks/update", {"taskId": task_id, "inputResponses": {"no-such-key": {"x": 1}}}
    )
    assert ignored["resultType"] == "complete"
    assert (await modern.task(task_id))["status"] == "input_required"

    answer = {"action": "accept", "content": {"approved": True}}
    ack = await modern.request("tasks/update", {"taskId": task_id, "inputResponses": {key: answer}})
    assert ack["resultType"] == "complete"
    assert not {"taskId", "status", "inputRequests"} & set(ack)
    done = await modern.until(task_id, TERMINAL)
    assert done["status"] == "completed"
    assert _text(done["result"]) == "Approved."


async def test_client_that_cannot_answer_gets_the_waiting_result(http: httpx.AsyncClient) -> None:
    client = Modern(http, {"extensions": TASKS})  # no elicitation
    created = await client.call("approval", {"message": "ship it"})
    done = await client.until(created["taskId"], TERMINAL)
    assert done["status"] == "completed"
    meta = done["result"]["_meta"]
    assert meta["interop/status"] == "interrupted"
    assert meta["interop/interrupts"]


async def test_questions_asked_before_the_hand_over_stay_plain(modern: Modern) -> None:
    first = await modern.call("ask_then_work", {"message": "the fence"})
    assert first["resultType"] == "input_required"
    assert "taskId" not in first
    (key,) = first["inputRequests"]
    answer = {"action": "accept", "content": {"answer": "green"}}
    second = await modern.request(
        "tools/call",
        {
            "name": "ask_then_work",
            "arguments": {"message": "the fence"},
            "inputResponses": {key: answer},
            "requestState": first["requestState"],
        },
    )
    assert second["resultType"] == "task"
    assert "requestState" not in second
    done = await modern.until(second["taskId"], TERMINAL)
    assert done["status"] == "completed"
    assert _text(done["result"]) == "Painted it green."


# -- a client without the extension ----------------------------------------------------------------


async def test_without_the_extension_a_long_call_is_answered_plainly(undeclared: Modern) -> None:
    result = await undeclared.call("countdown", {"n": 2, "delay": 0.8})
    assert result["resultType"] == "complete"
    assert "taskId" not in result
    assert _text(result) == "done"


async def test_official_client_gets_plain_results(base_url: str) -> None:
    async with Client(base_url + "/mcp", mode="auto", read_timeout_seconds=TIMEOUT) as client:
        assert client.protocol_version == MODERN
        result = await client.call_tool("countdown", {"n": 2, "delay": 0.8})
        assert not result.is_error
        assert result.meta is not None and result.meta["interop/status"] == "success"


async def test_required_tool_needs_the_extension(undeclared: Modern, modern: Modern) -> None:
    error = await _error(undeclared.call("countdown_required", {"n": 1, "delay": 0.01}))
    assert error.code == MISSING_CAPABILITY
    assert EXTENSION in error.data["requiredCapabilities"]["extensions"]
    created = await modern.call("countdown_required", {"n": 3, "delay": 1})
    assert created["resultType"] == "task"
    await modern.request("tasks/cancel", {"taskId": created["taskId"]})


async def test_task_methods_need_the_extension(undeclared: Modern) -> None:
    for method, params in [
        ("tasks/get", {"taskId": "t"}),
        ("tasks/update", {"taskId": "t", "inputResponses": {}}),
        ("tasks/cancel", {"taskId": "t"}),
    ]:
        error = await _error(undeclared.request(method, params))
        assert error.code == MISSING_CAPABILITY, method
        assert error.status == 400


async def test_task_notifications_need_the_extension(undeclared: Modern) -> None:
    error = await _error(
        undeclared.request("subscriptions/listen", {"notifications": {"taskIds": ["t"]}})
    )
    assert error.code == MISSING_CAPABILITY


# -- protocol errors ---------------------------------------------------------------------------------


async def test_unknown_task_is_invalid_params(modern: Modern) -> None:
    for method, params in [
        ("tasks/get", {"taskId": "no-such-task"}),
        ("tasks/update", {"taskId": "no-such-task", "inputResponses": {}}),
        ("tasks/cancel", {"taskId": "no-such-task"}),
    ]:
        error = await _error(modern.request(method, params))
        assert error.code == INVALID_PARAMS, method


async def test_mcp_name_must_be_the_task_id(modern: Modern) -> None:
    created = await modern.call("countdown", {"n": 5, "delay": 1})
    task_id = created["taskId"]
    error = await _error(modern.request("tasks/get", {"taskId": task_id}, name="another-task"))
    assert error.code == HEADER_MISMATCH
    assert error.status == 400
    await modern.request("tasks/cancel", {"taskId": task_id})


async def test_2025_task_methods_are_not_in_2026(modern: Modern) -> None:
    for method in ("tasks/result", "tasks/list"):
        error = await _error(modern.request(method, {"taskId": "t"}))
        assert error.code == METHOD_NOT_FOUND, method


# -- the 2025-11-25 utility is unchanged -----------------------------------------------------------------


@pytest.fixture
async def session(http: httpx.AsyncClient) -> AsyncIterator[dict[str, str]]:
    response = await http.post(
        "/mcp",
        headers={"accept": ACCEPT},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": LEGACY,
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        },
    )
    headers = {
        "accept": ACCEPT,
        "mcp-session-id": response.headers["mcp-session-id"],
        "mcp-protocol-version": LEGACY,
    }
    await http.post(
        "/mcp", headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"}
    )
    yield headers
    await http.delete("/mcp", headers=headers)


async def test_2025_utility_still_serves_its_methods(
    http: httpx.AsyncClient, session: dict[str, str]
) -> None:
    async def rpc(method: str, params: dict[str, Any]) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params}
        return _message(await http.post("/mcp", headers=session, json=body))

    created = await rpc(
        "tools/call",
        {"name": "countdown", "arguments": {"n": 1, "delay": 0.05}, "task": {"ttl": 60_000}},
    )
    task_id = created["result"]["task"]["taskId"]
    result = await rpc("tasks/result", {"taskId": task_id})
    assert _text(result["result"]) == "done"
    status = await rpc("tasks/get", {"taskId": task_id})
    assert status["result"]["status"] == "completed"
    listed = await rpc("tasks/list", {})
    assert task_id in {t["taskId"] for t in listed["result"]["tasks"]}
    update = await rpc("tasks/update", {"taskId": task_id, "inputResponses": {}})
    assert update["error"]["code"] == METHOD_NOT_FOUND
