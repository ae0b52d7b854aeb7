"""Draining on SIGTERM: open streams get their last event and a clean end, waiters an answer,
new requests 503, and the process exits 0 within its graceful-shutdown bound; the runs it
left are recovered on the next start."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .support import (
    COUNTDOWN,
    TIMEOUT,
    Record,
    ServerProcess,
    countdown_input,
    eventually,
    iter_sse,
)

GRACE = 4  # --graceful-shutdown
# The drain (at most GRACE/2), uvicorn's connection close (at most GRACE), the runs' cancel
# (at most 5 s, core/scheduler.py) and the interpreter's exit.
EXIT_BOUND = GRACE / 2 + GRACE + 5 + 5
RECOVERY = 40.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--graceful-shutdown", str(GRACE))
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def _running_runs(http: httpx.AsyncClient, thread_id: str) -> list[dict[str, Any]]:
    async def runs() -> list[dict[str, Any]]:
        return list((await http.get(f"/threads/{thread_id}/runs")).json())

    return await eventually(runs, lambda r: bool(r) and r[0]["status"] == "running")


async def test_sigterm_drains_streams_and_waiters_then_exits_0(server: ServerProcess) -> None:
    long_run = {"assistant_id": COUNTDOWN, "input": countdown_input(600, 0.1)}
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        streamed = (await http.post("/threads", json={})).json()["thread_id"]
        waited = (await http.post("/threads", json={})).json()["thread_id"]
        records: list[Record] = []
        first = asyncio.Event()

        async def stream() -> None:
            body = {**long_run, "stream_mode": ["custom"]}
            async with http.stream(
                "POST", f"/threads/{streamed}/runs/stream", json=body
            ) as response:
                assert response.status_code == 200
                # A truncated chunked body raises here (httpx.RemoteProtocolError).
                async for record in iter_sse(response):
                    records.append(record)
                    if record.event == "custom":
                        first.set()

        async def wait() -> httpx.Response:
            return await http.post(f"/threads/{waited}/runs/wait", json=long_run)

        streaming = asyncio.ensure_future(stream())
        waiting = asyncio.ensure_future(wait())
        async with asyncio.timeout(TIMEOUT):
            await first.wait()
        waited_runs = await _running_runs(http, waited)
        stream_run = (await http.get(f"/threads/{streamed}/runs")).json()[0]

        assert server.process is not None
        started = time.monotonic()
        server.process.terminate()
        async with asyncio.timeout(EXIT_BOUND):
            await streaming
            answer = await waiting
        # The stream's last record is the documented error event, after its real events.
        assert records[-1].event == "error", records[-3:]
        assert records[-1].data["error"] == "ServerShutdown"
        assert records[-1].id is None
        assert any(r.event == "custom" for r in records[:-1])
        # The waiter is answered: 503 (draining began within its first heartbeat) or, once its
        # status line went out, the error in the body.
        if answer.status_code == 200:
            assert answer.json()["__error__"]["error"] == "ServerShutdown"
        else:
            assert answer.status_code == 503, answer.text
        code = await asyncio.to_thread(server.process.wait, EXIT_BOUND)
        assert code == 0, server.log_tail()
        assert time.monotonic() - started < EXIT_BOUND
        assert "ASGI callable returned without completing response" not in server.log_tail(400)
    server.stop()

    server.start()
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        for thread_id, run_id in (
            (streamed, stream_run["run_id"]),
            (waited, waited_runs[0]["run_id"]),
        ):
            run = (await http.get(f"/threads/{thread_id}/runs/{run_id}")).json()
            # Recovered as the restart rules say: re-queued (no step had finished) or error.
            assert run["status"] in ("pending", "running", "error"), run
            await http.post(f"/threads/{thread_id}/runs/{run_id}/cancel")


async def test_sigterm_ends_an_open_thread_stream_with_its_last_event(
    server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http:
        thread_id = (await http.post("/threads", json={})).json()["thread_id"]
        opened = asyncio.Event()

        async def hold() -> list[Record]:
            seen: list[Record] = []
            async with http.stream("GET", f"/threads/{thread_id}/stream") as response:
                assert response.status_code == 200
                opened.set()
                async for record in iter_sse(response):
                    seen.append(record)
            return seen

        holding = asyncio.ensure_future(hold())
        async with asyncio.timeout(TIMEOUT):
            await opened.wait()
        assert server.process is not None
        server.process.terminate()
        async with asyncio.timeout(EXIT_BOUND):
            seen = await holding
        assert seen[-1].event == "error"
        assert seen[-1].data["error"] == "ServerShutdown"
        code = await asyncio.to_thread(server.process.wait, EXIT_BOUND)
        assert code == 0, server.log_tail()


async def test_sigterm_answers_an_mcp_tool_call_in_flight(server: ServerProcess) -> None:
    version = "2026-07-28"
    headers = {
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": version,
        "mcp-method": "tools/call",
        "mcp-name": COUNTDOWN,
    }
    meta = {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 5,
        "method": "tools/call",
        "params": {
            "name": COUNTDOWN,
            "arguments": {"n": 600, "delay": 0.1},
            "_meta": {**meta, "progressToken": "p"},
        },
    }
    assert server.process is not None
    records: list[Record] = []
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as http,
        http.stream("POST", "/mcp", headers=headers, json=body) as response,
    ):
        assert response.status_code == 200
        async with asyncio.timeout(EXIT_BOUND + TIMEOUT):
            # A truncated body raises here; the progress reports come first, then the answer.
            async for record in iter_sse(response):
                if not records:
                    server.process.terminate()
                records.append(record)
    assert records[0].data["method"] == "notifications/progress"
    # An answer, not a reset: the JSON-RPC error of a server that cannot take the call now.
    assert records[-1].data["id"] == 5
    assert records[-1].data["error"]["code"] == -32603
    code = await asyncio.to_thread(server.process.wait, EXIT_BOUND)
    assert code == 0, server.log_tail()
