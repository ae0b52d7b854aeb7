"""A LangGraph project run the way a template ships it: `langgraph.json` naming graphs with a
context schema, `"env": ".env"` with no such file, and a chat model reached through the standard
OpenAI base-URL setting (a fake OpenAI-compatible server started here; no network).

The run context (schema defaults, then the assistant's context, then the run's) is checked on
every front door: REST, A2A and MCP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from tests.fixtures import fake_openai

from .support import (
    TIMEOUT,
    ServerProcess,
    a2a_send_v03,
    free_port,
    parse_sse,
    running_server,
    user_message,
)

PROJECT = Path(__file__).resolve().parent.parent / "fixtures" / "template_project"
MODERN = "2026-07-28"
MODERN_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.fixture(scope="module")
def model_url() -> Iterator[str]:
    with fake_openai.serving(free_port()) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, model_url: str) -> Iterator[ServerProcess]:
    assert not (PROJECT / ".env").exists()
    env = {"OPENAI_BASE_URL": model_url, "OPENAI_API_KEY": "test-key"}
    with running_server(
        tmp_path_factory.mktemp("template"),
        "--config",
        str(PROJECT / "langgraph.json"),
        env=env,
    ) as process:
        yield process


@pytest.fixture
async def client(server: ServerProcess) -> AsyncIterator[LangGraphClient]:
    sdk = get_client(url=server.url, timeout=httpx.Timeout(TIMEOUT))
    try:
        yield sdk
    finally:
        await sdk.aclose()


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as raw:
        yield raw


def _last_text(values: Any) -> str:
    return str(values["messages"][-1]["content"])


# -- the template's chat agent -------------------------------------------------------------


async def test_the_agent_answers_through_the_model_with_the_context_defaults(
    client: LangGraphClient,
) -> None:
    result = await client.runs.wait(None, "agent", input=user_message("hi"))
    assert _last_text(result) == "[fake-small] You are a helpful assistant. | hi"


async def test_the_run_context_reaches_the_model(client: LangGraphClient) -> None:
    result = await client.runs.wait(
        None,
        "agent",
        input=user_message("hi"),
        context={"model": "fake-large", "system_prompt": "Be brief."},
    )
    assert _last_text(result) == "[fake-large] Be brief. | hi"


async def test_the_agent_streams_tokens_on_a_thread(client: LangGraphClient) -> None:
    thread = await client.threads.create()
    pieces: list[str] = []
    async for part in client.runs.stream(
        thread["thread_id"],
        "agent",
        input=user_message("stream me"),
        stream_mode="messages-tuple",
    ):
        if part.event == "messages":
            pieces.append(part.data[0]["content"])
    assert len([p for p in pieces if p]) > 1  # token by token, from the model's own stream
    assert "".join(pieces) == "[fake-small] You are a helpful assistant. | stream me"
    state = await client.threads.get_state(thread["thread_id"])
    assert _last_text(state["values"]).endswith("| stream me")


# -- the context on every door --------------------------------------------------------------


@pytest.mark.parametrize("context", [None, {}])
async def test_rest_empty_context_gets_the_schema_defaults(
    client: LangGraphClient, context: dict[str, Any] | None
) -> None:
    result = await client.runs.wait(None, "context_echo", input=user_message("x"), context=context)
    assert _last_text(result) == "hello, anonymous"


async def test_rest_assistant_and_run_context_overlay_the_defaults(
    client: LangGraphClient,
) -> None:
    assistant = await client.assistants.create("context_echo", context={"user": "ada"})
    result = await client.runs.wait(None, assistant["assistant_id"], input=user_message("x"))
    assert _last_text(result) == "hello, ada"
    result = await client.runs.wait(
        None,
        assistant["assistant_id"],
        input=user_message("x"),
        context={"greeting": "hi"},
    )
    assert _last_text(result) == "hi, ada"


async def _a2a_send(http: httpx.AsyncClient, target: str) -> str:
    response = await http.post(
        f"/a2a/{target}",
        json=a2a_send_v03("x"),
    )
    assert response.status_code == 200
    task = response.json()["result"]
    assert task["status"]["state"] == "completed"
    return str(task["artifacts"][-1]["parts"][0]["text"])


async def test_a2a_runs_get_the_defaults_and_the_assistant_context(
    client: LangGraphClient, http: httpx.AsyncClient
) -> None:
    assert await _a2a_send(http, "context_echo") == "hello, anonymous"
    assistant = await client.assistants.create("context_echo", context={"user": "grace"})
    assert await _a2a_send(http, assistant["assistant_id"]) == "hello, grace"


async def _mcp_call(http: httpx.AsyncClient, tool: str) -> str:
    response = await http.post(
        "/mcp",
        headers={
            "content-type": "application/json",
            "accept": "application/json, text/event-stream",
            "mcp-protocol-version": MODERN,
            "mcp-method": "tools/call",
            "mcp-name": tool,
        },
        json={
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": tool, "arguments": {"message": "x"}, "_meta": MODERN_META},
        },
    )
    assert response.status_code == 200
    if response.headers["content-type"].startswith("text/event-stream"):
        records, _ = parse_sse(response.text)
        body = records[-1].data
    else:
        body = response.json()
    result = body["result"]
    assert not result.get("isError"), result
    return str(result["content"][0]["text"])


async def test_mcp_runs_get_the_defaults_and_the_assistant_context(
    client: LangGraphClient, http: httpx.AsyncClient
) -> None:
    assert await _mcp_call(http, "context_echo") == "hello, anonymous"
    await client.assistants.create("context_echo", name="linus_echo", context={"user": "linus"})
    assert await _mcp_call(http, "linus_echo") == "hello, linus"
