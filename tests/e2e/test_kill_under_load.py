"""kill -9 under mixed load on the three doors: every run a client was told about (its run,
task or thread id came back) is in storage after the restart, with a terminal status or one the
recovery takes up again; none is missing."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .support import (
    COUNTDOWN,
    ECHO,
    TIMEOUT,
    ServerProcess,
    countdown_input,
    iter_sse,
    user_message,
)

STREAMS = 3  # long REST streams in flight at the kill
PER_DOOR = 12  # short requests at most per door (bounded load)
ACKED_BEFORE_KILL = 2  # per door: acknowledged calls seen before the kill
KNOWN = {"pending", "running", "success", "error", "interrupted", "timeout"}
MCP_VERSION = "2026-07-28"
MCP_HEADERS = {
    "content-type": "application/json",
    "accept": "application/json, text/event-stream",
    "mcp-protocol-version": MCP_VERSION,
    "mcp-method": "tools/call",
    "mcp-name": ECHO,
}
MCP_META = {
    "io.modelcontextprotocol/protocolVersion": MCP_VERSION,
    "io.modelcontextprotocol/clientCapabilities": {},
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server")
    process.start()
    try:
        yield process
    finally:
        process.stop()


class Acks:
    """What the clients were told: REST (thread, run) pairs, A2A task ids, MCP thread ids."""

    def __init__(self) -> None:
        self.rest: list[tuple[str, str]] = []
        self.a2a: list[str] = []
        self.mcp: list[str] = []
        self.changed = asyncio.Event()

    def note(self) -> None:
        self.changed.set()

    def enough(self, streams_running: int) -> bool:
        short_rest = len(self.rest) - streams_running
        return (
            streams_running >= STREAMS
            and short_rest >= ACKED_BEFORE_KILL
            and len(self.a2a) >= ACKED_BEFORE_KILL
            and len(self.mcp) >= ACKED_BEFORE_KILL
        )


def _raise_failed(tasks: list[asyncio.Future[None]]) -> None:
    for task in tasks:
        if task.done() and task.exception() is not None:
            raise AssertionError("a call failed before the kill") from task.exception()


def _mcp_body(response: httpx.Response) -> Any:
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        lines = [ln for ln in response.text.splitlines() if ln.startswith("data:")]
        import json

        return json.loads(lines[-1][5:])
    return response.json()


async def test_kill_9_under_mixed_load_loses_no_acknowledged_run(server: ServerProcess) -> None:
    acks = Acks()
    running: set[str] = set()
    ids = itertools.count(1)
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:

        async def rest_stream() -> None:
            thread_id = (await http.post("/threads", json={})).json()["thread_id"]
            body = {
                "assistant_id": COUNTDOWN,
                "input": countdown_input(600, 0.1),
                "stream_mode": ["custom"],
            }
            async with http.stream(
                "POST", f"/threads/{thread_id}/runs/stream", json=body
            ) as response:
                async for record in iter_sse(response):
                    if record.event == "metadata":
                        acks.rest.append((thread_id, record.data["run_id"]))
                    elif record.event == "custom":
                        running.add(thread_id)
                        acks.note()

        async def rest_wait() -> None:
            thread_id = (await http.post("/threads", json={})).json()["thread_id"]
            body = {"assistant_id": ECHO, "input": user_message("load")}
            response = await http.post(f"/threads/{thread_id}/runs/wait", json=body)
            run_id = response.headers["content-location"].rsplit("/", 1)[-1]
            acks.rest.append((thread_id, run_id))

        async def a2a_send() -> None:
            message = {
                "role": "user",
                "messageId": f"m{next(ids)}",
                "kind": "message",
                "parts": [{"kind": "text", "text": "load"}],
            }
            body = {
                "jsonrpc": "2.0",
                "id": next(ids),
                "method": "message/send",
                "params": {"message": message, "configuration": {"blocking": True}},
            }
            response = await http.post(f"/a2a/{ECHO}", json=body)
            acks.a2a.append(response.json()["result"]["id"])

        async def mcp_call() -> None:
            body = {
                "jsonrpc": "2.0",
                "id": next(ids),
                "method": "tools/call",
                "params": {"name": ECHO, "arguments": {"message": "load"}, "_meta": MCP_META},
            }
            response = await http.post("/mcp", headers=MCP_HEADERS, json=body)
            acks.mcp.append(_mcp_body(response)["result"]["structuredContent"]["thread_id"])

        async def repeat(call: Callable[[], Awaitable[None]]) -> None:
            for _ in range(PER_DOOR):
                await call()
                acks.note()

        load = [asyncio.ensure_future(rest_stream()) for _ in range(STREAMS)]
        async with asyncio.timeout(TIMEOUT * 2):
            while len(running) < STREAMS:
                _raise_failed(load)
                acks.changed.clear()
                await acks.changed.wait()
        load += [asyncio.ensure_future(repeat(c)) for c in (rest_wait, a2a_send, mcp_call)]
        async with asyncio.timeout(TIMEOUT * 2):
            while not acks.enough(len(running)):
                _raise_failed(load)
                acks.changed.clear()
                await acks.changed.wait()
        server.kill()  # mid-load: short calls are in flight, the streams' runs are running
        outcome = await asyncio.gather(*load, return_exceptions=True)
        # Every call cut by the kill failed on the transport, not with a wrong answer.
        for result in outcome:
            assert result is None or isinstance(result, httpx.TransportError), repr(result)

    server.start()
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        for thread_id, run_id in acks.rest:
            response = await http.get(f"/threads/{thread_id}/runs/{run_id}")
            assert response.status_code == 200, (thread_id, run_id)
            assert response.json()["status"] in KNOWN
        for task_id in acks.a2a:
            body = {"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": task_id}}
            task = (await http.post(f"/a2a/{ECHO}", json=body)).json()
            assert task["result"]["status"]["state"] == "completed", task
        for thread_id in acks.mcp:
            runs = (await http.get(f"/threads/{thread_id}/runs")).json()
            assert runs and all(run["status"] in KNOWN for run in runs), thread_id
        # The streams' runs are recovered: none stays running without a worker.
        for thread_id, run_id in acks.rest:
            await http.post(f"/threads/{thread_id}/runs/{run_id}/cancel")
    assert len(acks.rest) >= STREAMS + ACKED_BEFORE_KILL
