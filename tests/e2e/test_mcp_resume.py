"""Reconnecting in the middle of a `tools/call` with `Last-Event-ID` (2025-11-25, sessions).

The tool is `gated`, a test agent written next to the server's config: it emits numbered
progress events only when told to, over a line protocol on a loopback socket this module listens
on (`Gate`). So the test decides what the run does while the client is away, and every wait is
on an event with a deadline, never on time. `emit n` makes the agent emit its next n progress
values and answer `emitted <total>`; `finish` (or the socket closing) ends the run with the
message `counted <total>`. The node's end adds one progress step, so a call whose agent emitted N
values reports progress 1 … N+1.

- The official client: reconnecting by itself after its response stream breaks (a GET with
  `Last-Event-ID` after the server's `retry`), and a new client resuming a call from a saved
  resumption token (`ClientMessageMetadata.resumption_token`: the SDK sends the GET).
- The same on the wire with httpx: after the cursor, every event once and in order (replayed,
  then a new priming event, then live), the result last; a later resume from the same cursor
  replays the rest and the response again, and that stream ends.
- A cursor the session cannot resume (unknown, malformed, another session's) → 400.
- Leaving without resuming: a 2025 session's run finishes (disconnection is not cancellation);
  a 2026 call whose stream closes is cancelled (closing is cancellation there).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
import httpx2
import mcp_types as types
import pytest
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError
from mcp.client import Client
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.message import ClientMessageMetadata

from .support import (
    TERMINAL,
    TIMEOUT,
    Record,
    ServerProcess,
    eventually,
    iter_sse,
    mcp_initialize,
    parse_sse,
    running_server,
    thread_status,
)

T = TypeVar("T")

LEGACY = "2025-11-25"
MODERN = "2026-07-28"
ACCEPT = "application/json, text/event-stream"
# The SDK client's own timeouts (connect 30 s, read 300 s: a response stream may idle).
HTTP_TIMEOUT = httpx2.Timeout(30.0, read=300.0)

AGENT = '''\
"""`gated`: progress events emitted when the test says so (see tests/e2e/test_mcp_resume.py)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from langchain_core.messages import AIMessage, AnyMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict


class GateInput(TypedDict, total=False):
    gate: int
    label: str


class GateState(GateInput, total=False):
    messages: Annotated[list[AnyMessage], add_messages]


async def step(state: GateState, config: RunnableConfig) -> dict[str, Any]:
    thread_id = config["configurable"]["thread_id"]
    reader, writer = await asyncio.open_connection("127.0.0.1", state["gate"])
    emit = get_stream_writer()
    count = 0
    try:
        writer.write(f"{state['label']} {thread_id}\\n".encode())
        await writer.drain()
        while True:
            words = (await asyncio.wait_for(reader.readline(), 120)).split()
            if not words or words[0] != b"emit":
                break
            for _ in range(int(words[1])):
                count += 1
                emit({"progress": count, "message": f"step {count}"})
            writer.write(f"emitted {count}\\n".encode())
            await writer.drain()
    finally:
        writer.close()
    return {"messages": [AIMessage(content=f"counted {count}")]}


builder = StateGraph(GateState, input_schema=GateInput)
builder.add_node("step", step)
builder.add_edge(START, "step")
builder.add_edge("step", END)
graph = builder.compile(name="gated")
'''


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("mcp-resume")
    (workdir / "gated.py").write_text(AGENT)
    config = workdir / "interop.json"
    config.write_text(
        json.dumps({"graphs": {"gated": "./gated.py:graph", "echo": "interop.examples.echo:graph"}})
    )
    with running_server(workdir, "--config", str(config)) as server:
        yield server


@pytest.fixture
def mcp_url(base_url: str) -> str:
    return base_url + "/mcp"


# -- the gate: the test's end of each `gated` run ------------------------------------------------


@dataclass(slots=True)
class Agent:
    """One running `gated` agent, as seen from the test."""

    thread_id: str
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def emit(self, count: int) -> int:
        """Have the agent emit its next `count` progress values; its total so far."""
        self.writer.write(f"emit {count}\n".encode())
        await self.writer.drain()
        async with asyncio.timeout(TIMEOUT):
            words = (await self.reader.readline()).split()
        assert words[:1] == [b"emitted"], words
        return int(words[1])

    async def finish(self) -> None:
        self.writer.write(b"finish\n")
        await self.writer.drain()

    async def gone(self) -> None:
        """Wait until the agent closed its end without being told to finish (cancelled)."""
        async with asyncio.timeout(TIMEOUT):
            assert await self.reader.read() == b""


class Gate:
    """The loopback socket `gated` runs call in on; `agent(label)` waits for one."""

    def __init__(self) -> None:
        self._agents: dict[str, asyncio.Future[Agent]] = {}
        self._server: asyncio.Server | None = None
        self.port = 0

    def arguments(self, label: str) -> dict[str, Any]:
        return {"gate": self.port, "label": label}

    def _slot(self, label: str) -> asyncio.Future[Agent]:
        if label not in self._agents:
            self._agents[label] = asyncio.get_running_loop().create_future()
        return self._agents[label]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(TIMEOUT):
            label, thread_id = (await reader.readline()).decode().split()
        self._slot(label).set_result(Agent(thread_id, reader, writer))

    async def agent(self, label: str) -> Agent:
        async with asyncio.timeout(TIMEOUT):
            return await asyncio.shield(self._slot(label))

    async def __aenter__(self) -> Gate:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        # An agent still waiting reads the end of its socket and finishes.
        for slot in self._agents.values():
            if slot.done() and not slot.cancelled() and slot.exception() is None:
                slot.result().writer.close()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def gate() -> AsyncIterator[Gate]:
    async with Gate() as opened:
        yield opened


def _label() -> str:
    return uuid.uuid4().hex[:12]


# -- observations made by callbacks ------------------------------------------------------------


class Seen(Generic[T]):
    """What a callback observed, in order, and a way to wait for it."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self._changed = asyncio.Event()

    async def record(self, item: T) -> None:
        self.items.append(item)
        self._changed.set()

    async def count(self, n: int) -> None:
        """Wait until `n` items were seen."""
        try:
            async with asyncio.timeout(TIMEOUT):
                while len(self.items) < n:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            pytest.fail(f"waited for {n} items, saw {self.items!r}")


def progress_into(seen: Seen[float], token: str) -> Callable[[Any], Awaitable[None]]:
    """A `message_handler` recording the progress values reported for `token`."""

    async def handle(message: Any) -> None:
        if (
            isinstance(message, types.ProgressNotification)
            and message.params.progress_token == token
        ):
            await seen.record(message.params.progress)

    return handle


def _values(last: int, first: int = 1) -> list[float]:
    return [float(v) for v in range(first, last + 1)]


def _text(result: types.CallToolResult) -> str:
    """The answer: the first text block (a last one names the thread)."""
    return next(b.text for b in result.content if isinstance(b, types.TextContent))


# -- 1. the official client ------------------------------------------------------------------


PRIMING = re.compile(rb"^data: ?\r?$", re.MULTILINE)  # an SSE event with empty data


class _Tap(httpx2.AsyncByteStream):
    """A response body as it reaches the client, recorded; a call's can be broken."""

    def __init__(self, inner: httpx2.AsyncByteStream, network: FlakyNetwork, call: bool) -> None:
        self._inner = inner
        self._network = network
        self._call = call

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            if self._call and self._network.broken:
                raise httpx2.ReadError("the connection dropped (test)")
            await self._network.received(self._call, chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class FlakyNetwork(httpx2.AsyncBaseTransport):
    """HTTP for the SDK client, whose tools/call response stream can be broken mid-call: after
    `drop()`, the next bytes of that response are lost and its connection fails, as a network
    drop would. Records what reached the client of that response and of each resuming GET
    (with the `Last-Event-ID` it sent)."""

    def __init__(self) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self.broken = False
        self.call_bytes = b""
        self.resumed_from: list[str] = []
        self.resumed_bytes = b""
        self._changed = asyncio.Event()

    def drop(self) -> None:
        self.broken = True

    def call_ids(self) -> list[str]:
        return re.findall(r"^id: ?(.+?)\r?$", self.call_bytes.decode(), flags=re.MULTILINE)

    async def received(self, call: bool, chunk: bytes) -> None:
        if call:
            self.call_bytes += chunk
        else:
            self.resumed_bytes += chunk
        self._changed.set()

    async def resumed_stream_primed(self) -> None:
        """Wait until a resumed stream brought its priming event (sent just before the server
        tails the stream live)."""
        async with asyncio.timeout(TIMEOUT):
            while not PRIMING.search(self.resumed_bytes):
                self._changed.clear()
                await self._changed.wait()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self._inner.handle_async_request(request)
        cursor = request.headers.get("last-event-id")
        call = request.method == "POST" and b'"tools/call"' in request.content
        if request.method == "GET" and cursor is not None:
            self.resumed_from.append(cursor)
        elif not call:
            return response
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_Tap(response.stream, self, call),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_official_client_reconnects_by_itself_mid_call(mcp_url: str, gate: Gate) -> None:
    # The SDK client's automatic path: its POST stream fails after an event with an id, so it
    # waits the server's `retry` and GETs with Last-Event-ID (StreamableHTTPTransport.
    # _handle_reconnection), forwarding what it gets to the same call.
    network = FlakyNetwork()
    progress: Seen[float] = Seen()
    label = _label()

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        await progress.record(value)

    async with (
        httpx2.AsyncClient(transport=network, timeout=HTTP_TIMEOUT) as http,
        Client(
            streamable_http_client(mcp_url, http_client=http),
            mode="legacy",
            read_timeout_seconds=TIMEOUT * 3,
        ) as client,
    ):
        call = asyncio.create_task(
            client.call_tool("gated", gate.arguments(label), progress_callback=on_progress)
        )
        try:
            agent = await gate.agent(label)
            await agent.emit(3)
            await progress.count(3)
            network.drop()
            assert await agent.emit(3) == 6  # into the broken stream: lost there
            await progress.count(6)  # …and delivered again after the client reconnected
            await network.resumed_stream_primed()
            assert await agent.emit(2) == 8  # live on the resumed stream
            await progress.count(8)
            await agent.finish()
            async with asyncio.timeout(TIMEOUT):
                result = await call
        finally:
            call.cancel()
    assert progress.items == _values(9)  # 1-8, then the node's end: each once, in order
    assert network.resumed_from == [network.call_ids()[-1]]
    assert not result.is_error
    assert _text(result) == "counted 8"
    assert result.meta is not None
    assert result.meta["thread_id"] == result.meta["interop/thread_id"] == agent.thread_id


async def test_new_client_resumes_call_from_its_resumption_token(mcp_url: str, gate: Gate) -> None:
    # The SDK client's explicit path: `on_resumption_token_update` hands out each event id; a
    # request sent with `resumption_token` is not POSTed but resumed by a GET with that id as
    # Last-Event-ID, and what comes back answers it. The first client goes away mid-call keeping
    # only its token and the session id (a request with resumption hints sends no
    # notifications/cancelled when abandoned, and terminate_on_close=False sends no DELETE).
    label = _label()
    request = types.CallToolRequest(
        params=types.CallToolRequestParams(
            name="gated", arguments=gate.arguments(label), _meta={"progress_token": label}
        )
    )
    tokens: Seen[str] = Seen()
    before: Seen[float] = Seen()
    sessions: list[str] = []

    async def remember_session(response: httpx2.Response) -> None:
        if "mcp-session-id" in response.headers:
            sessions.append(response.headers["mcp-session-id"])

    async with (
        httpx2.AsyncClient(
            timeout=HTTP_TIMEOUT, event_hooks={"response": [remember_session]}
        ) as http,
        streamable_http_client(mcp_url, http_client=http, terminate_on_close=False) as (
            read,
            write,
        ),
        ClientSession(read, write, message_handler=progress_into(before, label)) as session,
    ):
        await session.initialize()
        call = asyncio.create_task(
            session.send_request(
                request,
                types.CallToolResult,
                metadata=ClientMessageMetadata(on_resumption_token_update=tokens.record),
            )
        )
        agent = await gate.agent(label)
        await agent.emit(3)
        await before.count(3)
        await tokens.count(4)  # the priming event's id, then one per progress event
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
    assert await agent.emit(3) == 6  # while no client is connected

    after: Seen[float] = Seen()
    resumed_tokens: Seen[str] = Seen()
    headers = {"mcp-session-id": sessions[-1], "mcp-protocol-version": LEGACY}
    async with (
        httpx2.AsyncClient(timeout=HTTP_TIMEOUT, headers=headers) as http,
        streamable_http_client(mcp_url, http_client=http, terminate_on_close=False) as (
            read,
            write,
        ),
        ClientSession(read, write, message_handler=progress_into(after, label)) as session,
    ):
        # No initialize: the session exists; the request only names the token.
        resume = asyncio.create_task(
            session.send_request(
                request,
                types.CallToolResult,
                request_read_timeout_seconds=TIMEOUT * 3,
                metadata=ClientMessageMetadata(
                    resumption_token=tokens.items[-1],
                    on_resumption_token_update=resumed_tokens.record,
                ),
            )
        )
        try:
            await after.count(3)
            await resumed_tokens.count(4)  # 4-6 and the resumed stream's priming event
            assert await agent.emit(2) == 8
            await after.count(5)
            await agent.finish()
            async with asyncio.timeout(TIMEOUT):
                result = await resume
        finally:
            resume.cancel()
    assert before.items == _values(3)
    assert after.items == _values(9, first=4)
    assert not result.is_error
    assert _text(result) == "counted 8"
    assert result.meta is not None and result.meta["thread_id"] == agent.thread_id
    # Event ids name the one stream and only grow.
    ids = tokens.items + resumed_tokens.items
    assert len({i.split(".")[0] for i in ids}) == 1
    assert ids == sorted(ids, key=_position) and len(set(ids)) == len(ids)


def _position(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.split(".")[1].partition("-")
    return int(ms), int(seq)


# -- 2. the wire -------------------------------------------------------------------------------


def _headers(**extra: str) -> dict[str, str]:
    return {"content-type": "application/json", "accept": ACCEPT, **extra}


async def _session(http: httpx.AsyncClient) -> dict[str, str]:
    """A new 2025-11-25 session: the headers of its later requests."""
    response = await mcp_initialize(http)
    assert response.status_code == 200
    headers = _headers(
        **{"mcp-session-id": response.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
    )
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (await http.post("/mcp", headers=headers, json=initialized)).status_code == 202
    return headers


def _call(gate: Gate, label: str, request_id: int = 7) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {
            "name": "gated",
            "arguments": gate.arguments(label),
            "_meta": {"progressToken": label},
        },
    }


def _progress(record: Record) -> float | None:
    data = record.data
    if isinstance(data, dict) and data.get("method") == "notifications/progress":
        return float(data["params"]["progress"])
    return None


async def _read_until(
    records: AsyncIterator[Record], into: list[Record], done: Callable[[list[Record]], bool]
) -> None:
    """Append `records` to `into` until `done(into)`."""
    async with asyncio.timeout(TIMEOUT):
        async for record in records:
            into.append(record)
            if done(into):
                return
    pytest.fail(f"the stream ended early: {into!r}")


def _reached(value: float) -> Callable[[list[Record]], bool]:
    return lambda records: _progress(records[-1]) == value


def _resume_headers(headers: dict[str, str], cursor: str) -> dict[str, str]:
    return {**headers, "accept": "text/event-stream", "last-event-id": cursor}


async def test_resume_on_the_wire(http: httpx.AsyncClient, gate: Gate) -> None:
    headers = await _session(http)
    label = _label()
    before: list[Record] = []
    async with http.stream("POST", "/mcp", headers=headers, json=_call(gate, label)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        agent = await gate.agent(label)
        await agent.emit(3)
        async with contextlib.aclosing(iter_sse(response)) as records:
            await _read_until(records, before, _reached(3))
    # The POST's connection is closed here, in the middle of the call.
    assert before[0].data is None and before[0].id  # the priming event
    assert [_progress(r) for r in before[1:]] == _values(3)
    cursor = before[-1].id
    assert cursor is not None
    assert await agent.emit(3) == 6

    resumed: list[Record] = []
    async with http.stream("GET", "/mcp", headers=_resume_headers(headers, cursor)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async with contextlib.aclosing(iter_sse(response)) as records:
            # 4-6 (kept while the client was away) and the stream's new priming event, sent
            # just before the server tails the stream live.
            await _read_until(
                records,
                resumed,
                lambda seen: 6.0 in map(_progress, seen) and any(r.data is None for r in seen),
            )
            assert await agent.emit(2) == 8
            await agent.finish()
            await _read_until(
                records,
                resumed,
                lambda seen: isinstance(seen[-1].data, dict) and "id" in seen[-1].data,
            )
    messages = [r for r in resumed if r.data is not None]
    primings = [r for r in resumed if r.data is None]
    assert len(primings) == 1 and primings[0].id  # the resumed stream's own priming event
    assert [_progress(r) for r in messages[:-1]] == _values(9, first=4)
    answer = messages[-1].data
    assert answer["id"] == 7
    result = answer["result"]
    assert result["content"][0] == {"type": "text", "text": "counted 8"}
    assert result["_meta"]["thread_id"] == agent.thread_id
    assert result["_meta"]["interop/status"] == "success"
    # Every id names the POST's stream, and ids only grow, from the cursor on.
    ids = [cursor, *(r.id for r in resumed)]
    assert all(i is not None and i.split(".")[0] == cursor.split(".")[0] for i in ids)
    positions = [_position(str(i)) for i in ids]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)

    # Later, from the same cursor: the rest of that stream and its response again, then the
    # stream ends (nothing more can follow a response).
    async with asyncio.timeout(TIMEOUT):
        again = await http.get("/mcp", headers=_resume_headers(headers, cursor))
    assert again.status_code == 200
    replayed, _ = parse_sse(again.text)
    assert [(r.id, r.data) for r in replayed] == [(r.id, r.data) for r in messages]


# -- 3. edge cases ------------------------------------------------------------------------------


async def _echo_cursor(http: httpx.AsyncClient, headers: dict[str, str], request_id: int) -> str:
    """The id of the first event of an echo call's stream (its priming event)."""
    body = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"message": "hi"}},
    }
    async with asyncio.timeout(TIMEOUT):
        response = await http.post("/mcp", headers=headers, json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    records, _ = parse_sse(response.text)
    assert records[0].id is not None and records[-1].data["id"] == request_id
    return records[0].id


async def test_cursor_the_session_cannot_resume_is_400(http: httpx.AsyncClient) -> None:
    one, two = await _session(http), await _session(http)
    cursor = await _echo_cursor(http, one, request_id=5)
    await _echo_cursor(http, two, request_id=5)  # the same request id in the other session
    key = cursor.split(".")[0]
    unknown = ["0123456789abcdef.1-0", "garbage", f"{key}.not-an-id", f"{key}"]
    for headers, bad in [(one, u) for u in unknown] + [(two, cursor)]:
        async with asyncio.timeout(TIMEOUT):
            response = await http.get("/mcp", headers=_resume_headers(headers, bad))
        assert response.status_code == 400, (bad, response.text)
        error = response.json()
        assert error["id"] is None and error["error"]["code"] == types.INVALID_REQUEST
    # The same cursor where it belongs: its stream's response, then the end.
    async with asyncio.timeout(TIMEOUT):
        response = await http.get("/mcp", headers=_resume_headers(one, cursor))
    assert response.status_code == 200
    assert [r.data["id"] for r in parse_sse(response.text)[0]] == [5]
    # A session that does not exist is the SDK's 404, whatever the cursor.
    gone = {**one, "mcp-session-id": uuid.uuid4().hex}
    response = await http.get("/mcp", headers=_resume_headers(gone, cursor))
    assert response.status_code == 404


async def _ended_run(client: LangGraphClient, thread_id: str) -> dict[str, Any]:
    """The thread's one run, through the REST API, once it has ended (the thread of a call
    without `thread_id` may be stored only when its run ends)."""

    async def runs() -> list[dict[str, Any]]:
        try:
            return list(await client.runs.list(thread_id))
        except NotFoundError:
            return []

    found = await eventually(
        runs,
        lambda found: len(found) == 1 and found[0]["status"] in TERMINAL,
        what=f"the run of thread {thread_id} to end",
    )
    return dict(await client.runs.get(thread_id, found[0]["run_id"]))


async def test_leaving_without_resuming_lets_the_run_finish(
    http: httpx.AsyncClient, gate: Gate, client: LangGraphClient
) -> None:
    # 2025-11-25: "Disconnection SHOULD NOT be interpreted as the client cancelling its
    # request": the call goes on without a reader and its run ends normally.
    headers = await _session(http)
    label = _label()
    seen: list[Record] = []
    async with http.stream("POST", "/mcp", headers=headers, json=_call(gate, label)) as response:
        agent = await gate.agent(label)
        await agent.emit(2)
        async with contextlib.aclosing(iter_sse(response)) as records:
            await _read_until(records, seen, _reached(2))
    assert await agent.emit(2) == 4  # the agent still runs
    await agent.finish()
    run = await _ended_run(client, agent.thread_id)
    assert run["status"] == "success"
    await thread_status(client, agent.thread_id, ["idle"])


async def test_2026_call_whose_stream_closes_is_cancelled(
    http: httpx.AsyncClient, gate: Gate, client: LangGraphClient
) -> None:
    # 2026-07-28 has no resumption: closing the response stream cancels the request, and
    # cancel-on-leave (calls.py) cancels its run.
    label = _label()
    body = _call(gate, label, request_id=1)
    body["params"]["_meta"].update(
        {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    )
    headers = _headers(
        **{"mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "gated"}
    )
    seen: list[Record] = []
    async with http.stream("POST", "/mcp", headers=headers, json=body) as response:
        assert response.status_code == 200
        agent = await gate.agent(label)
        await agent.emit(1)
        async with contextlib.aclosing(iter_sse(response)) as records:
            await _read_until(records, seen, _reached(1))
    await agent.gone()  # cancelled in its wait for the next command
    run = await _ended_run(client, agent.thread_id)
    assert run["status"] == "interrupted"
