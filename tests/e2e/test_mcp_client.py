"""The MCP front door through the official `mcp` client, in both eras.

`auto` mode speaks 2026-07-28 (stateless, `server/discover`); `legacy` mode speaks 2025-11-25
(initialize, sessions). Every test runs in both, against one real `interop serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import mcp_types as types
import pytest
from langgraph_sdk import get_client
from mcp.client import Client
from mcp.shared.exceptions import MCPError

from .support import TIMEOUT, eventually

MODES = ["auto", "legacy"]
THREAD = "interop/thread_id"
RUN = "interop/run_id"


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def mcp_url(base_url: str) -> str:
    return base_url + "/mcp"


async def _client(url: str, mode: str, **kwargs: Any) -> Client:
    return Client(url, mode=mode, read_timeout_seconds=TIMEOUT, **kwargs)


@contextlib.asynccontextmanager
async def connect(url: str, mode: str) -> AsyncIterator[Client]:
    # Entered in the test's own task: the client's task groups must exit where they entered.
    async with await _client(url, mode) as c:
        yield c


def _text(result: types.CallToolResult) -> str:
    """The answer: the first text block (a last one names the thread)."""
    return next(b.text for b in result.content if isinstance(b, types.TextContent))


async def test_era(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        expected = "2026-07-28" if mode == "auto" else "2025-11-25"
        assert client.protocol_version == expected


async def test_list_tools(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"echo", "approval", "countdown"} <= set(tools)
        echo = tools["echo"].input_schema
        assert echo["type"] == "object"
        assert echo["properties"]["message"]["type"] == "string"
        assert "messages" not in echo["properties"]
        assert {"thread_id", "resume"} <= set(echo["properties"])
        countdown = tools["countdown"].input_schema["properties"]
        assert countdown["n"]["type"] == "integer"
        assert tools["echo"].output_schema is not None
        assert tools["echo"].description


async def test_call_and_continue_thread(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        first = await client.call_tool("echo", {"message": "hello there"})
        assert not first.is_error
        assert _text(first) == "hello there"
        assert first.meta is not None
        thread_id = first.meta[THREAD]
        assert first.meta[RUN]
        assert isinstance(first.structured_content, dict)
        assert len(first.structured_content["messages"]) == 2
        second = await client.call_tool("echo", {"message": "again", "thread_id": thread_id})
        assert _text(second) == "again"
        assert second.meta is not None and second.meta[THREAD] == thread_id
        assert isinstance(second.structured_content, dict)
        assert len(second.structured_content["messages"]) == 4


async def test_unknown_tool_is_invalid_params(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        with pytest.raises(MCPError) as caught:
            await client.call_tool("no_such_tool", {})
        assert caught.value.error.code == types.INVALID_PARAMS


async def test_unknown_thread_is_tool_error(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        result = await client.call_tool(
            "echo", {"message": "x", "thread_id": "00000000-0000-0000-0000-000000000000"}
        )
        assert result.is_error


async def test_progress(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))

        result = await client.call_tool(
            "countdown", {"n": 3, "delay": 0.01}, progress_callback=on_progress
        )
        assert _text(result) == "done"
        values = [p for p, _, _ in seen]
        assert len(values) >= 3
        assert values == sorted(values) and len(set(values)) == len(values)


async def test_interrupt_without_elicitation_waits(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        result = await client.call_tool("approval", {"message": "ship it?"})
        assert not result.is_error
        assert result.meta is not None and result.meta["interop/status"] == "interrupted"
        thread_id = result.meta[THREAD]
        assert thread_id in _text(result)
        resumed = await client.call_tool(
            "approval", {"thread_id": thread_id, "resume": {"approved": True}}
        )
        assert _text(resumed) == "Approved."


async def test_resume_without_interrupt_is_tool_error(mcp_url: str, mode: str) -> None:
    async with connect(mcp_url, mode) as client:
        first = await client.call_tool("echo", {"message": "hi"})
        assert first.meta is not None
        result = await client.call_tool("echo", {"thread_id": first.meta[THREAD], "resume": "x"})
        assert result.is_error


async def test_interrupt_round_trip_by_elicitation(mcp_url: str, mode: str) -> None:
    asked: list[str] = []
    fields: list[dict[str, Any]] = []

    async def elicit(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        # Answer the form as shown: one boolean field per the agent's answer schema.
        assert isinstance(params, types.ElicitRequestFormParams)
        asked.append(params.message)
        fields.append(params.requested_schema["properties"])
        return types.ElicitResult(action="accept", content={"approved": True})

    async with await _client(mcp_url, mode, elicitation_callback=elicit) as c:
        result = await c.call_tool("approval", {"message": "deploy?"})
    assert asked and "deploy?" in asked[0]
    assert fields[0]["approved"]["type"] == "boolean"
    assert _text(result) == "Approved."
    assert result.meta is not None and result.meta["interop/status"] == "success"


async def test_declined_elicitation_leaves_run_waiting(mcp_url: str, mode: str) -> None:
    async def decline(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="decline")

    async with await _client(mcp_url, mode, elicitation_callback=decline) as c:
        result = await c.call_tool("approval", {"message": "deploy?"})
    assert result.meta is not None and result.meta["interop/status"] == "interrupted"


async def test_tools_follow_rest_assistants(mcp_url: str, mode: str, base_url: str) -> None:
    async with connect(mcp_url, mode) as client:
        sdk = get_client(url=base_url, timeout=httpx.Timeout(TIMEOUT))
        try:
            assistant = await sdk.assistants.create("echo", name="Parrot Bot!")
            names = {t.name for t in (await client.list_tools(cache_mode="bypass")).tools}
            assert "Parrot_Bot" in names
            result = await client.call_tool("Parrot_Bot", {"message": "squawk"})
            assert _text(result) == "squawk"
            await sdk.assistants.delete(assistant["assistant_id"])
            names = {t.name for t in (await client.list_tools(cache_mode="bypass")).tools}
            assert "Parrot_Bot" not in names
        finally:
            await sdk.aclose()


async def test_cancel_stops_the_run(mcp_url: str, mode: str, base_url: str) -> None:
    async with connect(mcp_url, mode) as client:
        sdk = get_client(url=base_url, timeout=httpx.Timeout(TIMEOUT))
        started = asyncio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            started.set()

        async def countdown_threads() -> dict[str, dict[str, Any]]:
            found = await sdk.threads.search(metadata={"graph_id": "countdown"}, limit=1000)
            return {t["thread_id"]: t for t in found}

        try:
            before = await countdown_threads()
            call = asyncio.create_task(
                client.call_tool(
                    "countdown", {"n": 400, "delay": 0.05}, progress_callback=on_progress
                )
            )
            await asyncio.wait_for(started.wait(), TIMEOUT)
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            # The call's new thread is written when its run ends: here, cancelled.
            after = await eventually(
                countdown_threads,
                lambda threads: len(set(threads) - set(before)) == 1,
                what="the cancelled call's thread",
            )
            (thread_id,) = set(after) - set(before)
            assert after[thread_id]["status"] == "interrupted"
            runs = await sdk.runs.list(thread_id)
            assert [r["status"] for r in runs] == ["interrupted"]
            state = await sdk.threads.get_state(thread_id)
            assert state["values"]["n"] == 400
        finally:
            await sdk.aclose()
