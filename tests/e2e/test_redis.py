"""Two `interop serve` processes on one Redis (and one SQLite file): a stream dropped at one
process resumes at the other with Last-Event-ID, every later event exactly once; a thread
stream joined at one process sees the run another process executes; the MCP tool list at one
process follows an assistant created at the other (a broker signal)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis.asyncio as aioredis
from tests.databases import admin_url, fresh_database
from tests.redis_env import delete_keys, key_prefix, redis_url

from .support import (
    COUNTDOWN,
    ECHO,
    MCP_ACCEPT,
    TIMEOUT,
    Record,
    ServerProcess,
    countdown_input,
    eventually,
    iter_sse,
    mcp_initialize,
    read_sse,
    running_server,
    stream_until_remaining,
)


@pytest.fixture(scope="module")
def space() -> Iterator[tuple[str, str]]:
    """The Redis URL and the key prefix both processes use."""
    url, prefix = redis_url(), key_prefix()
    try:
        yield url, prefix
    finally:
        delete_keys(url, prefix)


@pytest.fixture(scope="module")
def pair(
    space: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url, prefix = space
    env = {"INTEROP_REDIS": url, "INTEROP_REDIS_PREFIX": prefix}
    first, second = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    # Each process logs in its own directory; both use one PostgreSQL database (a SQLite file
    # serves one process only).
    with fresh_database(admin_url(), "interop_redis_e2e") as database:
        shared = ("--database", database)
        with (
            running_server(first, *shared, env=env) as one,
            running_server(second, *shared, env=env) as two,
        ):
            yield one, two


async def _channel_exists(url: str, prefix: str, channel: str) -> bool:
    client = aioredis.Redis.from_url(url)
    try:
        return bool(await client.exists(f"{prefix}ch:{channel}"))
    finally:
        await client.aclose()


def _key(record: Record) -> tuple[str | None, str | None, str | None]:
    return (record.id, record.event, record.raw_data)


async def test_the_startup_log_names_the_broker(pair: tuple[ServerProcess, ServerProcess]) -> None:
    one, _ = pair
    assert "event broker: redis://" in one.log_path.read_text(errors="replace")


@pytest.fixture
async def clients(
    pair: tuple[ServerProcess, ServerProcess],
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, str]]:
    """A client of each process, and a new thread."""
    one, two = pair
    async with (
        httpx.AsyncClient(base_url=one.url, timeout=TIMEOUT) as first_http,
        httpx.AsyncClient(base_url=two.url, timeout=TIMEOUT) as second_http,
    ):
        thread_id = (await first_http.post("/threads", json={})).json()["thread_id"]
        yield first_http, second_http, thread_id


async def test_a_stream_dropped_at_one_process_resumes_at_the_other(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    first_http, second_http, thread_id = clients
    body = {
        "assistant_id": COUNTDOWN,
        "input": countdown_input(5, 0.2),
        "stream_mode": ["custom", "values"],
        "stream_resumable": True,
    }
    first = await stream_until_remaining(first_http, thread_id, body, 4)
    run_id = first[0].data["run_id"]
    path = f"/threads/{thread_id}/runs/{run_id}/stream"
    _, rest, _ = await read_sse(
        second_http, "GET", path, headers={"Last-Event-ID": str(first[-1].id)}
    )
    assert rest, "nothing after the resume point"
    _, full, _ = await read_sse(second_http, "GET", path, headers={"Last-Event-ID": "0-0"})
    assert [r.event for r in full].count("custom") == 5
    combined = [_key(r) for r in first + rest]
    assert len(set(combined)) == len(combined), "duplicate events after resuming"
    assert combined == [_key(r) for r in full]


async def test_a_thread_stream_at_one_process_sees_a_run_at_the_other(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, str], space: tuple[str, str]
) -> None:
    first_http, second_http, thread_id = clients
    url, prefix = space
    seen: list[Record] = []

    async def watch() -> None:
        # from the channel's start: nothing mirrored after the join can be missed
        async with second_http.stream(
            "GET", f"/threads/{thread_id}/stream", headers={"Last-Event-ID": "0-0"}
        ) as response:
            assert response.status_code == 200
            async for record in iter_sse(response):
                seen.append(record)
                if record.event == "metadata" and record.data.get("status") == "run_done":
                    return

    watcher = asyncio.create_task(watch())
    async with asyncio.timeout(TIMEOUT):
        # joined once the thread's channel exists: from then on its runs are mirrored
        await eventually(
            lambda: _channel_exists(url, prefix, thread_id), bool, what="thread channel"
        )
        response = await first_http.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": COUNTDOWN, "input": countdown_input(2, 0.01)},
        )
        assert response.status_code == 200
        await watcher
    events = [r.event for r in seen]
    assert events[0] == "metadata" and events[-1] == "metadata"
    assert seen[0].data["run_id"] == seen[-1].data["run_id"]
    assert events.count("values") == 2
    assert seen[-2].data["messages"][0]["content"] == "done"
    assert len({r.id for r in seen}) == len(seen)


async def _tool_names(http: httpx.AsyncClient, session: str) -> set[str]:
    headers = {
        "content-type": "application/json",
        "accept": MCP_ACCEPT,
        "mcp-session-id": session,
        "mcp-protocol-version": "2025-11-25",
    }
    response = await http.post(
        "/mcp", headers=headers, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    )
    assert response.status_code == 200
    return {tool["name"] for tool in response.json()["result"]["tools"]}


async def test_mcp_tools_follow_an_assistant_created_at_the_other_process(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, str],
) -> None:
    first_http, second_http, _ = clients
    initialized = await mcp_initialize(second_http)
    assert initialized.status_code == 200
    session = initialized.headers["mcp-session-id"]
    before = await _tool_names(second_http, session)  # the second process's door is up
    name = f"probe_{uuid.uuid4().hex[:8]}"
    created = await first_http.post("/assistants", json={"graph_id": ECHO, "name": name})
    assert created.status_code == 200
    assert name not in before
    # the second process's cached catalogue is refreshed by the signal
    await eventually(lambda: _tool_names(second_http, session), lambda names: name in names)
