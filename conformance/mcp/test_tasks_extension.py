"""The 2026-07-28 tasks extension (`io.modelcontextprotocol/tasks`) on the example agents.

What a server like interop promises: it advertises the extension in `server/discover`; a call of
`countdown` lasting seconds, from a client that declares the extension, is answered with a task
(`resultType: "task"`) that `tasks/get` shows working, then completed with the call's result;
`tasks/cancel` ends it as cancelled; a client that does not declare the extension gets plain
results, and -32021 from `tasks/*`. Unknown task ids are -32602, an `Mcp-Name` other than the
task id is -32020, the 2025 utility's `tasks/result` and `tasks/list` are -32601 in this era (and
the extension's `tasks/update` in the 2025 one). Checks read codes and shapes, never messages.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from .wire import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MISSING_CAPABILITY,
    Legacy,
    Modern,
    base_headers,
    final,
    modern_meta,
    next_id,
    thread_id_of,
)

EXTENSION = "io.modelcontextprotocol/tasks"
DECLARED = {"io.modelcontextprotocol/clientCapabilities": {"extensions": {EXTENSION: {}}}}
TERMINAL = frozenset({"completed", "failed", "cancelled"})
DEADLINE = 30.0  # seconds: the limit of every wait on the server
POLL = 0.1
LONG = {"n": 4, "delay": 1}  # a countdown of four seconds


def _with_extension(params: dict[str, Any]) -> dict[str, Any]:
    return {**params, "_meta": DECLARED}


async def _answer(modern: Modern, method: str, params: dict[str, Any]) -> dict[str, Any]:
    async with asyncio.timeout(DEADLINE):
        return (await modern.call(method, params))[-1]


async def _result(modern: Modern, method: str, params: dict[str, Any]) -> dict[str, Any]:
    answer = await _answer(modern, method, params)
    assert "result" in answer, answer
    return dict(answer["result"])


async def _code(modern: Modern, method: str, params: dict[str, Any]) -> int:
    answer = await _answer(modern, method, params)
    assert "error" in answer, answer
    return int(answer["error"]["code"])


async def _start(modern: Modern, arguments: dict[str, Any]) -> dict[str, Any]:
    created = await _result(
        modern, "tools/call", _with_extension({"name": "countdown", "arguments": arguments})
    )
    assert created.get("resultType") == "task", created
    return created


async def _get(modern: Modern, task_id: str) -> dict[str, Any]:
    return await _result(modern, "tasks/get", _with_extension({"taskId": task_id}))


async def _until_terminal(modern: Modern, task_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE
    while True:
        task = await _get(modern, task_id)
        if task["status"] in TERMINAL or time.monotonic() > deadline:
            return task
        await asyncio.sleep(POLL)


@pytest.fixture
async def tasks(modern: Modern) -> Modern:
    """A 2026 client, once the server advertises the extension (else the checks are skipped)."""
    discovered = await _result(modern, "server/discover", {})
    if EXTENSION not in (discovered["capabilities"].get("extensions") or {}):
        pytest.skip(f"the server does not advertise {EXTENSION}")
    return modern


async def test_discover_advertises_the_extension(modern: Modern) -> None:
    discovered = await _result(modern, "server/discover", {})
    assert EXTENSION in (discovered["capabilities"].get("extensions") or {})
    assert "tasks" not in discovered["capabilities"]


async def test_long_call_is_a_task_that_completes_with_the_result(tasks: Modern) -> None:
    created = await _start(tasks, LONG)
    task_id = created["taskId"]
    for key in ("status", "createdAt", "lastUpdatedAt", "ttlMs"):
        assert key in created, key
    assert not {"task", "result", "error", "inputRequests", "requestState"} & set(created)

    first = await _get(tasks, task_id)  # at once: the task exists before its handle is sent
    assert first["taskId"] == task_id
    assert first["status"] in ("working", "completed")
    assert first["resultType"] == "complete"

    done = await _until_terminal(tasks, task_id)
    assert done["status"] == "completed", done
    result = done["result"]
    assert not result.get("isError")
    assert next(b.get("text") for b in result["content"] if b.get("type") == "text") == "done"
    assert thread_id_of(result.get("_meta"))
    assert "io.modelcontextprotocol/related-task" not in (result.get("_meta") or {})


async def test_cancel_ends_the_task_as_cancelled(tasks: Modern) -> None:
    created = await _start(tasks, {"n": 60, "delay": 1})
    task_id = created["taskId"]
    ack = await _result(tasks, "tasks/cancel", _with_extension({"taskId": task_id}))
    assert ack["resultType"] == "complete"
    assert not {"taskId", "status", "result", "error"} & set(ack)
    cancelled = await _until_terminal(tasks, task_id)
    assert cancelled["status"] == "cancelled", cancelled
    again = await _result(tasks, "tasks/cancel", _with_extension({"taskId": task_id}))
    assert again["resultType"] == "complete"


async def test_without_the_extension_calls_are_answered_plainly(tasks: Modern) -> None:
    result = await _result(
        tasks, "tools/call", {"name": "countdown", "arguments": {"n": 2, "delay": 0.8}}
    )
    assert result.get("resultType", "complete") == "complete"
    assert "taskId" not in result
    assert not result.get("isError")


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("tasks/get", {"taskId": "t"}),
        ("tasks/update", {"taskId": "t", "inputResponses": {}}),
        ("tasks/cancel", {"taskId": "t"}),
    ],
)
async def test_task_methods_need_the_extension(
    tasks: Modern, method: str, params: dict[str, Any]
) -> None:
    assert await _code(tasks, method, params) == MISSING_CAPABILITY


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("tasks/get", {"taskId": "no-such-task"}),
        ("tasks/update", {"taskId": "no-such-task", "inputResponses": {}}),
        ("tasks/cancel", {"taskId": "no-such-task"}),
    ],
)
async def test_unknown_task_is_invalid_params(
    tasks: Modern, method: str, params: dict[str, Any]
) -> None:
    assert await _code(tasks, method, _with_extension(params)) == INVALID_PARAMS


async def test_mcp_name_other_than_the_task_id_is_refused(
    tasks: Modern, http: httpx.AsyncClient, mcp_path: str
) -> None:
    created = await _start(tasks, LONG)
    task_id = created["taskId"]
    headers = base_headers(
        **{"mcp-protocol-version": tasks.version, "mcp-method": "tasks/get", "mcp-name": "other"}
    )
    body = {
        "jsonrpc": "2.0",
        "id": next_id(),
        "method": "tasks/get",
        "params": {"taskId": task_id, "_meta": modern_meta(**DECLARED)},
    }
    response = await http.post(mcp_path, headers=headers, json=body)
    assert response.status_code == 400
    assert final(response)["error"]["code"] == HEADER_MISMATCH
    await _result(tasks, "tasks/cancel", _with_extension({"taskId": task_id}))


@pytest.mark.parametrize("method", ["tasks/result", "tasks/list"])
async def test_2025_task_methods_are_not_served_in_2026(tasks: Modern, method: str) -> None:
    params = {"taskId": "t"} if method == "tasks/result" else {}
    assert await _code(tasks, method, _with_extension(params)) == METHOD_NOT_FOUND


async def test_tasks_update_is_not_served_in_2025(tasks: Modern, legacy: Legacy) -> None:
    answer = (await legacy.call("tasks/update", {"taskId": "t", "inputResponses": {}}))[-1]
    assert answer["error"]["code"] == METHOD_NOT_FOUND
