"""Two `interop serve` processes on one fresh PostgreSQL database and one Redis: the protocol
doors' state is shared, so a client may reach either process with any request.

- A2A: a task created at one process is read, listed, subscribed to and cancelled at the other;
  its push config set at one is read at the other, and each notification arrives once.
- MCP (2025-11-25 sessions): the official client's requests alternate between the processes
  (a tool call, an elicitation answered at the process that did not ask); a stream cut at one
  process is resumed at the other; DELETE at one ends the session at both.
- SQLite: push configs survive a restart.

Skipped, with the reason, when PostgreSQL or Redis is unreachable (CI sets both: they run).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import mcp_types as types
import orjson
import pytest
from a2a.types import (
    CancelTaskRequest,
    GetTaskPushNotificationConfigRequest,
    GetTaskRequest,
    ListTasksRequest,
    SendMessageRequest,
    SubscribeToTaskRequest,
    TaskPushNotificationConfig,
    TaskState,
)
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from tests.databases import admin_url, fresh_database
from tests.redis_env import delete_keys, key_prefix, redis_url

from .a2a.receiver import Receiver, receiver
from .a2a.test_sdk_client import data_message, events_of, open_client, send, text_message
from .support import (
    MCP_ACCEPT,
    TIMEOUT,
    ServerProcess,
    eventually,
    iter_sse,
    mcp_initialize,
    running_server,
)

CONFIG = Path(__file__).resolve().parents[2] / "conformance" / "a2a" / "interop.json"
VERSION = "2025-11-25"


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    admin = admin_url()
    broker = redis_url()
    prefix = key_prefix()
    env = {"INTEROP_REDIS": broker, "INTEROP_REDIS_PREFIX": prefix}
    try:
        with fresh_database(admin, "interop_scale") as database:
            shared = ("--config", str(CONFIG), "--database", database)
            with (
                running_server(tmp_path_factory.mktemp("one"), *shared, env=env) as one,
                running_server(tmp_path_factory.mktemp("two"), *shared, env=env) as two,
            ):
                yield one, two
    finally:
        delete_keys(broker, prefix)


# -- A2A ----------------------------------------------------------------------------------------


def _state(body: dict[str, Any]) -> str:
    task = body.get("task", body)
    return str(task["status"]["state"])


async def test_a2a_task_is_read_listed_and_subscribed_at_the_other_process(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    at_one, http_one = await open_client(one.url, "countdown", "1.0", streaming=True)
    at_two, http_two = await open_client(two.url, "countdown", "1.0", streaming=True)
    try:
        started = at_one.send_message(
            SendMessageRequest(message=data_message({"n": 30, "delay": 0.05}))
        )
        async with asyncio.timeout(TIMEOUT):
            first = await anext(started)
        await started.aclose()  # the client leaves; the task goes on at the first process
        task_id, context_id = first.task.id, first.task.context_id
        fetched = await at_two.get_task(GetTaskRequest(id=task_id))
        assert fetched.id == task_id and fetched.context_id == context_id
        listed = await at_two.list_tasks(ListTasksRequest(context_id=context_id))
        assert [t.id for t in listed.tasks] == [task_id]
        events = await events_of(at_two.subscribe(SubscribeToTaskRequest(id=task_id)))
        assert events[0].HasField("task") and events[0].task.id == task_id
        assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED
        done = await at_two.get_task(GetTaskRequest(id=task_id))
        assert done.status.state == TaskState.TASK_STATE_COMPLETED
    finally:
        for client, http in ((at_one, http_one), (at_two, http_two)):
            await client.close()
            await http.aclose()


async def test_a2a_input_required_task_is_cancelled_at_the_other_process(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    # A task waiting for input has no running run: its cancel is a storage write, whichever
    # process takes it.
    one, two = pair
    at_one, http_one = await open_client(one.url, "approval", "1.0")
    at_two, http_two = await open_client(two.url, "approval", "1.0")
    try:
        task = await send(at_one, text_message("deploy to prod"))
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        canceled = await at_two.cancel_task(CancelTaskRequest(id=task.id))
        assert canceled.status.state == TaskState.TASK_STATE_CANCELED
        fetched = await at_one.get_task(GetTaskRequest(id=task.id))
        assert fetched.status.state == TaskState.TASK_STATE_CANCELED
    finally:
        for client, http in ((at_one, http_one), (at_two, http_two)):
            await client.close()
            await http.aclose()


async def test_a2a_subscriber_at_one_process_follows_an_answer_sent_to_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    at_one, http_one = await open_client(one.url, "approval", "1.0")
    at_two, http_two = await open_client(two.url, "approval", "1.0", streaming=True)
    try:
        task = await send(at_one, text_message("deploy to prod"))
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        subscription = at_two.subscribe(SubscribeToTaskRequest(id=task.id))
        async with asyncio.timeout(TIMEOUT):
            first = await anext(subscription)
        assert first.task.id == task.id
        answered = await send(
            at_one, data_message({"approved": True}, task_id=task.id, context_id=task.context_id)
        )
        assert answered.status.state == TaskState.TASK_STATE_COMPLETED
        rest = await events_of(subscription)
        states = [e.status_update.status.state for e in rest if e.HasField("status_update")]
        assert states[-1] == TaskState.TASK_STATE_COMPLETED, states
    finally:
        for client, http in ((at_one, http_one), (at_two, http_two)):
            await client.close()
            await http.aclose()


async def test_a2a_push_config_is_shared_and_each_notification_arrives_once(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    at_one, http_one = await open_client(one.url, "echo", "1.0")
    at_two, http_two = await open_client(two.url, "echo", "1.0")
    try:
        async with receiver() as hook:
            config = TaskPushNotificationConfig(url=hook.url, id="hook-1", token="t-1")
            first = await send(
                at_one, text_message("push me"), task_push_notification_config=config
            )
            stored = await at_two.get_task_push_notification_config(
                GetTaskPushNotificationConfigRequest(task_id=first.id, id="hook-1")
            )
            assert stored.url == hook.url and stored.token == "t-1"
            await _completed(hook, first.id)
            # A second task's notification, sent after the first's: by the time it arrives, a
            # duplicate of the first's (from any process) would have too.
            second = await send(
                at_two, text_message("push me too"), task_push_notification_config=config
            )
            await _completed(hook, second.id)
            for task_id in (first.id, second.id):
                states = [
                    _state(d.body)
                    for d in hook.deliveries
                    if d.body.get("task", d.body)["id"] == task_id
                ]
                assert states.count("TASK_STATE_COMPLETED") == 1, states
                assert len(states) == len(set(states)), states
    finally:
        for client, http in ((at_one, http_one), (at_two, http_two)):
            await client.close()
            await http.aclose()


async def _completed(hook: Receiver, task_id: str) -> None:
    def completed(delivery: Any) -> bool:
        body = delivery.body.get("task", delivery.body)
        return bool(body.get("id") == task_id and _state(delivery.body) == "TASK_STATE_COMPLETED")

    await hook.wait_for(completed, within=TIMEOUT)


# -- MCP ----------------------------------------------------------------------------------------


class Alternating(httpx2.AsyncBaseTransport):
    """Sends each request to the next of two ports, in turn (a load balancer without
    stickiness), except that a client's answer to a server request goes to the process that
    did not take the last tools/call (the one asking). `seen` records (what, port) per request:
    what is the JSON-RPC method, "answer", or the HTTP method."""

    def __init__(self, ports: list[int]) -> None:
        self._inner = httpx2.AsyncHTTPTransport()
        self._all = ports
        self._ports = itertools.cycle(ports)
        self._last_call = ports[0]
        self.seen: list[tuple[str, int]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        what = request.method
        if request.method == "POST":
            body = orjson.loads(await request.aread())
            what = body.get("method") or "answer" if isinstance(body, dict) else "batch"
        if what == "answer":
            port = next(p for p in self._all if p != self._last_call)
        else:
            port = next(self._ports)
        if what == "tools/call":
            self._last_call = port
        request.url = request.url.copy_with(port=port)
        self.seen.append((what, port))
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _text(result: types.CallToolResult) -> str:
    return next(b.text for b in result.content if isinstance(b, types.TextContent))


@pytest.mark.filterwarnings("ignore:The logging capability is deprecated")  # in its era
async def test_mcp_session_requests_alternate_between_processes(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    asked: list[str] = []

    async def elicit(ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"approved": True})

    network = Alternating([one.port, two.port])
    async with (
        httpx2.AsyncClient(transport=network, timeout=TIMEOUT) as http,
        Client(
            streamable_http_client(one.url + "/mcp", http_client=http),
            mode="legacy",
            read_timeout_seconds=TIMEOUT,
            elicitation_callback=elicit,
        ) as client,
    ):
        assert client.protocol_version == VERSION
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"echo", "approval"} <= tools
        echoed = await client.call_tool("echo", {"message": "hello"})
        assert "hello" in _text(echoed)
        # The question goes out on the call's stream; its answer is POSTed to the other process.
        approved = await client.call_tool("approval", {"message": "deploy?"})
        assert asked and "deploy?" in asked[0]
        assert _text(approved) == "Approved."
        await client.set_logging_level("debug")
        again = await client.call_tool("echo", {"message": "twice"})
        assert "twice" in _text(again)
    calls = [port for what, port in network.seen if what == "tools/call"]
    assert set(calls) == {one.port, two.port}, network.seen
    # The elicitation answer reached the process that did not ask.
    answers = [i for i, (what, _) in enumerate(network.seen) if what == "answer"]
    assert answers, network.seen
    asking = [port for what, port in network.seen[: answers[0]] if what == "tools/call"][-1]
    assert network.seen[answers[0]][1] != asking


async def _session(http: httpx.AsyncClient, base: str, initialized_at: str) -> dict[str, str]:
    """A new session opened at `base` (its `notifications/initialized` sent to
    `initialized_at`): the headers of its requests."""
    opened = await mcp_initialize(http, version=VERSION, path=base + "/mcp")
    assert opened.status_code == 200
    headers = {
        "content-type": "application/json",
        "accept": MCP_ACCEPT,
        "mcp-session-id": opened.headers["mcp-session-id"],
        "mcp-protocol-version": VERSION,
    }
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    sent = await http.post(initialized_at + "/mcp", headers=headers, json=initialized)
    assert sent.status_code == 202
    return headers


async def test_mcp_stream_cut_at_one_process_resumes_at_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        headers = await _session(http, one.url, two.url)
        call = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {
                "name": "countdown",
                "arguments": {"n": 12, "delay": 0.1},
                "_meta": {"progressToken": "p"},
            },
        }
        cursor: str | None = None
        async with http.stream("POST", one.url + "/mcp", headers=headers, json=call) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            async for record in iter_sse(response):
                if record.id and record.raw_data and '"progress"' in record.raw_data:
                    cursor = record.id
                    break  # the connection drops mid-call
        assert cursor is not None
        resumed: list[dict[str, Any]] = []
        async with http.stream(
            "GET", two.url + "/mcp", headers={**headers, "last-event-id": cursor}
        ) as response:
            assert response.status_code == 200
            async with asyncio.timeout(TIMEOUT):
                async for record in iter_sse(response):
                    if record.raw_data:
                        resumed.append(httpx.Response(200, content=record.raw_data).json())
                        if "result" in resumed[-1] or "error" in resumed[-1]:
                            break
        assert resumed and resumed[-1].get("id") == 7, resumed
        assert "result" in resumed[-1]
        progress = [m["params"]["progress"] for m in resumed if m.get("method")]
        assert progress == sorted(progress) and len(progress) == len(set(progress))


async def test_mcp_session_deleted_at_one_process_is_gone_at_both(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        headers = await _session(http, one.url, one.url)
        for base in (one.url, two.url):
            assert (
                await http.post(base + "/mcp", headers=headers, json=listing)
            ).status_code == 200
        assert (await http.delete(two.url + "/mcp", headers=headers)).status_code == 200
        # At once where it was deleted (its record went before the answer), and soon at the
        # other process (the signal on its way).
        gone = await http.post(two.url + "/mcp", headers=headers, json=listing)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == -32600

        for base in (one.url, two.url):
            url = base + "/mcp"
            answer = await eventually(
                lambda url=url: http.post(url, headers=headers, json=listing),  # type: ignore[misc]
                lambda answer: answer.status_code == 404,
                what="the deleted session answering 404",
            )
            assert answer.json()["error"]["code"] == -32600


async def test_mcp_tools_list_changed_reaches_a_stream_at_the_other_process(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        headers = await _session(http, one.url, one.url)
        async with http.stream("GET", two.url + "/mcp", headers=headers) as stream:
            assert stream.status_code == 200
            created = await http.post(
                one.url + "/assistants", json={"graph_id": "echo", "name": f"n-{uuid.uuid4()}"}
            )
            assert created.status_code == 200
            async with asyncio.timeout(TIMEOUT):
                async for record in iter_sse(stream):
                    if record.raw_data and "notifications/tools/list_changed" in record.raw_data:
                        break


async def test_mcp_2025_task_is_answered_at_the_other_process(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        headers = await _session(http, one.url, one.url)

        async def rpc(base: str, ident: int, method: str, params: dict[str, Any]) -> Any:
            body = {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}
            answer = await http.post(base + "/mcp", headers=headers, json=body)
            assert answer.status_code == 200
            records = (
                [r async for r in iter_sse(answer)]
                if answer.headers["content-type"].startswith("text/event-stream")
                else None
            )
            message = (
                answer.json()
                if records is None
                else orjson.loads(next(r.raw_data for r in records if r.raw_data))
            )
            return message["result"]

        created = await rpc(
            one.url,
            2,
            "tools/call",
            {"name": "countdown", "arguments": {"n": 3, "delay": 0.05}, "task": {"ttl": 60000}},
        )
        task_id = created["task"]["taskId"]
        got = await rpc(two.url, 3, "tasks/get", {"taskId": task_id})
        assert got["taskId"] == task_id and got["status"] in ("working", "completed")
        listed = await rpc(two.url, 4, "tasks/list", {})
        assert task_id in [t["taskId"] for t in listed["tasks"]]
        result = await rpc(two.url, 5, "tasks/result", {"taskId": task_id})
        assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}
        assert (await rpc(one.url, 6, "tasks/get", {"taskId": task_id}))["status"] == "completed"


async def test_mcp_2026_task_is_read_at_the_other_process(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    caps = {"extensions": {"io.modelcontextprotocol/tasks": {}}}
    ids = itertools.count(1)

    async def rpc(base: str, method: str, params: dict[str, Any]) -> Any:
        params = {
            **params,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": caps,
            },
        }
        headers = {"accept": MCP_ACCEPT, "mcp-protocol-version": "2026-07-28", "mcp-method": method}
        routed = params.get("name") or params.get("taskId")
        if isinstance(routed, str):
            headers["mcp-name"] = routed
        body = {"jsonrpc": "2.0", "id": next(ids), "method": method, "params": params}
        answer = await http.post(base + "/mcp", headers=headers, json=body)
        if answer.headers["content-type"].startswith("text/event-stream"):
            records = [r async for r in iter_sse(answer)]
            return orjson.loads([r.raw_data for r in records if r.raw_data][-1])["result"]
        return answer.json().get("result")  # None: an error answer

    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        # Longer than the tool's taskAfterMs (1000 ms): handed over as a task.
        arguments = {"n": 4, "delay": 0.5}
        created = await rpc(one.url, "tools/call", {"name": "countdown", "arguments": arguments})
        assert created["resultType"] == "task"
        task_id = created["taskId"]
        # A call on a new thread runs in the first process's memory until it ends (see the
        # README): the other process knows its task once the run is stored.
        done = await eventually(
            lambda: rpc(two.url, "tasks/get", {"taskId": task_id}),
            lambda task: task is not None and task["status"] != "working",
            what="the task ending",
        )
        assert done["status"] == "completed"
        assert done["result"]["_meta"]["run_id"] == task_id
        # The settled state is the record's: the first process reads the same.
        again = await rpc(one.url, "tasks/get", {"taskId": task_id})
        assert again["status"] == "completed" and again["result"] == done["result"]


async def test_mcp_unknown_session_is_404_at_every_process(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    headers = {
        "content-type": "application/json",
        "accept": MCP_ACCEPT,
        "mcp-session-id": "0" * 32,
        "mcp-protocol-version": VERSION,
    }
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        for base in (one.url, two.url):
            assert (
                await http.post(base + "/mcp", headers=headers, json=listing)
            ).status_code == 404


# -- SQLite: push configs survive a restart ----------------------------------------------------


@pytest.fixture
def lone(tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(tmp_path, "--config", str(CONFIG)) as server:
        yield server


async def test_push_configs_survive_a_restart(lone: ServerProcess) -> None:
    client, http = await open_client(lone.url, "approval", "1.0")
    try:
        config = TaskPushNotificationConfig(url="http://127.0.0.1:9/hook", id="kept", token="k")
        task = await send(client, text_message("deploy?"), task_push_notification_config=config)
    finally:
        await client.close()
        await http.aclose()
    lone.restart()
    client, http = await open_client(lone.url, "approval", "1.0")
    try:
        stored = await client.get_task_push_notification_config(
            GetTaskPushNotificationConfigRequest(task_id=task.id, id="kept")
        )
        assert stored.url == "http://127.0.0.1:9/hook" and stored.token == "k"
    finally:
        await client.close()
        await http.aclose()
