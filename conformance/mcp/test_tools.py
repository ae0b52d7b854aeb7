"""Assistants as tools, in both eras: listing, calls, threads, errors, progress, cancellation."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from typing import Any

import httpx
import pytest

from .wire import (
    INVALID_PARAMS,
    TOOL_NAME,
    Era,
    Legacy,
    Modern,
    iter_messages,
    next_id,
    thread_id_of,
)

EXAMPLES = ("echo", "approval", "countdown")
DEADLINE = 30.0  # seconds: the limit of every wait on the server


def _text(result: dict[str, Any]) -> str:
    """The answer: the first text block (interop names the thread in a last one)."""
    return next(b.get("text", "") for b in result["content"] if b.get("type") == "text")


async def _tools(era: Era) -> dict[str, dict[str, Any]]:
    tools: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    while True:
        answer = (await era.call("tools/list", {"cursor": cursor} if cursor else None))[-1]
        result = answer["result"]
        for tool in result["tools"]:
            assert tool["name"] not in tools, f"duplicate tool name {tool['name']!r}"
            tools[tool["name"]] = tool
        cursor = result.get("nextCursor")
        if not cursor:
            return tools


async def _call(era: Era, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async with asyncio.timeout(DEADLINE):
        answer = (await era.call("tools/call", {"name": name, "arguments": arguments}))[-1]
    assert "result" in answer, answer
    return dict(answer["result"])


async def test_tools_list_one_tool_per_example(era: Era) -> None:
    tools = await _tools(era)
    assert set(EXAMPLES) <= set(tools)
    for name, tool in tools.items():
        assert TOOL_NAME.match(name), name
        assert tool["inputSchema"]["type"] == "object"
        assert tool.get("description")


async def test_messages_graphs_take_message_and_every_tool_thread_id(era: Era) -> None:
    tools = await _tools(era)
    for name in ("echo", "approval"):
        properties = tools[name]["inputSchema"]["properties"]
        assert properties["message"]["type"] == "string"
        assert "messages" not in properties
    for name in EXAMPLES:
        assert tools[name]["inputSchema"]["properties"]["thread_id"]["type"] == "string"
    assert tools["countdown"]["inputSchema"]["properties"]["n"]["type"] == "integer"


async def test_echo_call(era: Era) -> None:
    text = f"hello {uuid.uuid4().hex[:8]}"
    result = await _call(era, "echo", {"message": text})
    assert not result.get("isError")
    assert _text(result) == text
    assert isinstance(result["structuredContent"], dict)
    assert thread_id_of(result.get("_meta"))


async def test_thread_continuation(era: Era) -> None:
    first = await _call(era, "echo", {"message": "one"})
    thread_id = thread_id_of(first.get("_meta"))
    assert thread_id
    second = await _call(era, "echo", {"message": "two", "thread_id": thread_id})
    assert not second.get("isError")
    assert _text(second) == "two"
    assert thread_id_of(second.get("_meta")) == thread_id
    first_messages = first["structuredContent"]["messages"]
    second_messages = second["structuredContent"]["messages"]
    assert len(second_messages) == len(first_messages) + 2


async def test_unknown_tool_is_invalid_params(era: Era) -> None:
    answer = (await era.call("tools/call", {"name": f"no_such_{uuid.uuid4().hex}"}))[-1]
    assert answer["error"]["code"] == INVALID_PARAMS


async def test_failing_run_is_a_tool_error(era: Era) -> None:
    result = await _call(era, "countdown", {"n": "abc"})  # the node raises
    assert result["isError"] is True
    assert result["content"]


async def test_progress_notifications(era: Era) -> None:
    token = f"p-{uuid.uuid4().hex[:8]}"
    params = {
        "name": "countdown",
        "arguments": {"n": 3, "delay": 0.01},
        "_meta": {"progressToken": token},
    }
    progress: list[float] = []
    answer: dict[str, Any] = {}
    async with asyncio.timeout(DEADLINE), era.stream("tools/call", params) as response:
        assert response.status_code == 200
        async for message in iter_messages(response):
            if message.get("method") == "notifications/progress":
                assert message["params"]["progressToken"] == token
                progress.append(float(message["params"]["progress"]))
            elif "id" in message:
                answer = message
                break
    assert not answer["result"].get("isError"), answer
    assert progress, "no progress notification"
    assert all(b > a for a, b in itertools.pairwise(progress)), progress


async def _start_thread(era: Era) -> str:
    result = await _call(era, "countdown", {"n": 0, "delay": 0})
    thread_id = thread_id_of(result.get("_meta"))
    assert thread_id
    return thread_id


async def test_cancellation_stops_the_run(era: Era, http: httpx.AsyncClient) -> None:
    thread_id = await _start_thread(era)
    request_id = next_id()
    params = {
        "name": "countdown",
        "arguments": {"n": 3000, "delay": 0.1, "thread_id": thread_id},  # 5 minutes
        "_meta": {"progressToken": "cancel-me"},
    }
    request = era.request("tools/call", params, request_id)
    async with asyncio.timeout(DEADLINE):
        response = await http.send(request, stream=True)
        try:
            assert response.status_code == 200
            async for message in iter_messages(response):
                assert "id" not in message, f"the call ended before it was cancelled: {message}"
                if message.get("method") == "notifications/progress":
                    break  # the run is under way
            await era.cancel(request_id)  # 2025: notifications/cancelled; 2026: close (below)
        finally:
            await response.aclose()
    # A cancelled run frees its thread: a new call on it completes long before the countdown would.
    result = await _call(era, "countdown", {"n": 1, "delay": 0, "thread_id": thread_id})
    assert not result.get("isError"), result
    assert thread_id_of(result.get("_meta")) == thread_id


@pytest.mark.rest
async def test_tools_follow_assistants_with_sanitised_names(
    http: httpx.AsyncClient, modern: Modern, legacy: Legacy
) -> None:
    raw = f"conformance agent/{uuid.uuid4().hex[:6]} ünï!"
    created = await http.post("/assistants", json={"graph_id": "echo", "name": raw})
    assert created.status_code == 200, created.text
    assistant_id = created.json()["assistant_id"]
    try:
        for era in (modern, legacy):
            tools = await _tools(era)
            added = [t for t in tools.values() if t.get("title") == raw]
            assert len(added) == 1, sorted(tools)
            name = added[0]["name"]
            assert TOOL_NAME.match(name) and name not in EXAMPLES
            result = await _call(era, name, {"message": "renamed"})
            assert _text(result) == "renamed"
    finally:
        deleted = await http.delete(f"/assistants/{assistant_id}")
        assert deleted.status_code in (200, 204)
    for era in (modern, legacy):
        assert all(t.get("title") != raw for t in (await _tools(era)).values())


@pytest.mark.rest
async def test_sessions_hear_tools_list_changed(http: httpx.AsyncClient, legacy: Legacy) -> None:
    assert legacy.initialize_result["capabilities"]["tools"].get("listChanged") is True
    await _tools(legacy)  # a session that has made a request is one the server knows
    headers = legacy.headers("", None)
    headers["accept"] = "text/event-stream"
    assistant_id: str | None = None
    try:
        async with (
            asyncio.timeout(DEADLINE),
            http.stream("GET", legacy.path, headers=headers) as stream,
        ):
            assert stream.status_code == 200
            created = await http.post(
                "/assistants", json={"graph_id": "echo", "name": f"listen-{uuid.uuid4().hex[:6]}"}
            )
            assert created.status_code == 200, created.text
            assistant_id = created.json()["assistant_id"]
            async for message in iter_messages(stream):
                if message.get("method") == "notifications/tools/list_changed":
                    break
    finally:
        if assistant_id is not None:
            await http.delete(f"/assistants/{assistant_id}")
