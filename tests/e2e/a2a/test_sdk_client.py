"""The official a2a-sdk client (1.3) against `interop serve`, in 1.0 mode and in 0.3 compat mode:
send, stream, get, list, cancel, resubscribe, push notifications, input-required, and the
context shared with the REST thread."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from a2a.client import ClientConfig, ClientFactory
from a2a.client.card_resolver import A2ACardResolver
from a2a.client.client import Client
from a2a.types.a2a_pb2 import (
    AgentCard,
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskPushNotificationConfig,
    TaskState,
)
from a2a.utils.errors import TaskNotCancelableError, TaskNotFoundError, UnsupportedOperationError
from google.protobuf import json_format, struct_pb2

from .receiver import receiver

# (protocol version, binding) per client mode: "1.0" is JSON-RPC, "1.0-rest" the HTTP+JSON binding.
MODES = {"1.0": ("1.0", "JSONRPC"), "1.0-rest": ("1.0", "HTTP+JSON"), "0.3": ("0.3", "JSONRPC")}
TIMEOUT = 30.0


async def card_of(base_url: str, graph: str, mode: str) -> AgentCard:
    """The agent card, keeping only the interface of `mode` (so the client speaks it)."""
    version, binding = MODES[mode]
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        card = await A2ACardResolver(http, f"{base_url}/a2a/{graph}").get_agent_card()
    keep = [
        i
        for i in card.supported_interfaces
        if i.protocol_version == version and i.protocol_binding == binding
    ]
    assert keep, f"no {mode} interface in the card"
    del card.supported_interfaces[:]
    card.supported_interfaces.extend(keep)
    return card


async def open_client(
    base_url: str, graph: str, mode: str, *, streaming: bool = False, polling: bool = False
) -> tuple[Client, httpx.AsyncClient]:
    http = httpx.AsyncClient(timeout=TIMEOUT)
    card = await card_of(base_url, graph, mode)
    config = ClientConfig(
        streaming=streaming,
        polling=polling,
        httpx_client=http,
        supported_protocol_bindings=[MODES[mode][1]],
    )
    return ClientFactory(config).create(card), http


@pytest.fixture(params=list(MODES))
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def echo(base_url: str, version: str) -> AsyncIterator[Client]:
    client, http = await open_client(base_url, "echo", version)
    try:
        yield client
    finally:
        await client.close()
        await http.aclose()


def text_message(text: str, **fields: Any) -> Message:
    return Message(
        message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=text)], **fields
    )


def data_message(data: dict[str, Any], **fields: Any) -> Message:
    value = struct_pb2.Value()
    json_format.ParseDict(data, value)
    return Message(
        message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(data=value)], **fields
    )


async def send(client: Client, message: Message, **config: Any) -> Task:
    request = SendMessageRequest(message=message, configuration=SendMessageConfiguration(**config))
    results = [r async for r in client.send_message(request)]
    assert len(results) == 1 and results[0].HasField("task"), results
    return results[0].task


async def events_of(stream: AsyncIterator[StreamResponse]) -> list[StreamResponse]:
    async with asyncio.timeout(TIMEOUT):
        return [event async for event in stream]


def artifact_text(task: Task) -> str:
    return "".join(p.text for a in task.artifacts for p in a.parts)


async def test_card_lists_both_versions_on_one_url(base_url: str) -> None:
    async with httpx.AsyncClient(timeout=TIMEOUT) as http:
        card = await A2ACardResolver(http, f"{base_url}/a2a/echo").get_agent_card()
    interfaces = {
        (i.protocol_binding, i.protocol_version, i.url) for i in card.supported_interfaces
    }
    assert interfaces == {
        ("JSONRPC", "1.0", f"{base_url}/a2a/echo"),
        ("HTTP+JSON", "1.0", f"{base_url}/a2a/echo"),
        ("JSONRPC", "0.3", f"{base_url}/a2a/echo"),
    }
    assert card.capabilities.streaming and card.capabilities.push_notifications
    assert card.name == "echo"


async def test_client_from_url_speaks_1_0(base_url: str) -> None:
    http = httpx.AsyncClient(timeout=TIMEOUT)
    client = await ClientFactory(ClientConfig(streaming=False, httpx_client=http)).create_from_url(
        f"{base_url}/a2a/echo"
    )
    try:
        task = await send(client, text_message("from the default client"))
        assert task.status.state == TaskState.TASK_STATE_COMPLETED
        assert artifact_text(task) == "from the default client"
    finally:
        await client.close()
        await http.aclose()


async def test_send_completes_with_the_echo_as_artifact(echo: Client) -> None:
    task = await send(echo, text_message("hello there"))
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert artifact_text(task) == "hello there"
    assert task.context_id and task.id
    assert [m.role for m in task.history] == [Role.ROLE_USER, Role.ROLE_AGENT]


async def test_get_task_with_history_length(echo: Client) -> None:
    task = await send(echo, text_message("remember me"))
    fetched = await echo.get_task(GetTaskRequest(id=task.id, history_length=1))
    assert fetched.id == task.id
    assert fetched.status.state == TaskState.TASK_STATE_COMPLETED
    assert len(fetched.history) == 1
    assert fetched.history[0].role == Role.ROLE_AGENT


async def test_unknown_task_is_task_not_found(echo: Client) -> None:
    with pytest.raises(TaskNotFoundError):
        await echo.get_task(GetTaskRequest(id=str(uuid.uuid4())))


async def test_stream_sends_task_working_chunks_and_final_status(
    base_url: str, version: str
) -> None:
    client, http = await open_client(base_url, "echo", version, streaming=True)
    try:
        request = SendMessageRequest(message=text_message("one two three four"))
        events = await events_of(client.send_message(request))
    finally:
        await client.close()
        await http.aclose()
    kinds = [e.WhichOneof("payload") for e in events]
    assert kinds[0] == "task"
    assert kinds[1] == "status_update"
    assert events[1].status_update.status.state == TaskState.TASK_STATE_WORKING
    chunks = [e.artifact_update for e in events if e.HasField("artifact_update")]
    assert "".join(p.text for c in chunks for p in c.artifact.parts) == "one two three four"
    assert len(chunks) == 4
    assert not chunks[0].append and all(c.append for c in chunks[1:])
    assert chunks[-1].last_chunk and not any(c.last_chunk for c in chunks[:-1])
    assert kinds[-1] == "status_update"
    assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED


async def test_input_required_round_trip(base_url: str, version: str) -> None:
    client, http = await open_client(base_url, "approval", version)
    try:
        task = await send(client, text_message("deploy to prod"))
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        question = [
            json_format.MessageToDict(p.data)
            for p in task.status.message.parts
            if p.HasField("data")
        ]
        assert [q["question"] for q in question] == ["Approve this request? deploy to prod"]
        answered = await send(
            client, data_message({"approved": True}, task_id=task.id, context_id=task.context_id)
        )
        assert answered.id == task.id
        assert answered.status.state == TaskState.TASK_STATE_COMPLETED
        assert artifact_text(answered) == "Approved."
        with pytest.raises(UnsupportedOperationError):
            await send(client, text_message("again", task_id=task.id))
    finally:
        await client.close()
        await http.aclose()


async def test_cancel_really_cancels_the_run(base_url: str, version: str) -> None:
    client, http = await open_client(base_url, "countdown", version, polling=True)
    try:
        task = await send(client, data_message({"n": 400, "delay": 0.05}))
        assert task.status.state in (TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING)
        canceled = await client.cancel_task(CancelTaskRequest(id=task.id))
        assert canceled.status.state == TaskState.TASK_STATE_CANCELED
        fetched = await client.get_task(GetTaskRequest(id=task.id))
        assert fetched.status.state == TaskState.TASK_STATE_CANCELED
        # The answer carries the cancel's time, not the time of an earlier update.
        canceled_at = canceled.status.timestamp.ToDatetime()
        assert canceled_at > task.status.timestamp.ToDatetime()
        assert abs((fetched.status.timestamp.ToDatetime() - canceled_at).total_seconds()) < 0.05
        with pytest.raises(TaskNotCancelableError):
            await client.cancel_task(CancelTaskRequest(id=task.id))
    finally:
        await client.close()
        await http.aclose()
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT) as rest:
        run = (await rest.get(f"/threads/{task.context_id}/runs/{task.id}")).json()
        assert run["status"] == "interrupted"


async def test_resubscribe_after_disconnect_sees_the_end(base_url: str, version: str) -> None:
    client, http = await open_client(base_url, "countdown", version, streaming=True)
    try:
        stream = client.send_message(
            SendMessageRequest(message=data_message({"n": 20, "delay": 0.05}))
        )
        async with asyncio.timeout(TIMEOUT):
            first = await anext(stream)
        await stream.aclose()  # the client leaves; the task goes on
        task_id = first.task.id
        events = await events_of(client.subscribe(SubscribeToTaskRequest(id=task_id)))
        assert events[0].HasField("task") and events[0].task.id == task_id
        assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED
        with pytest.raises(UnsupportedOperationError):
            await events_of(client.subscribe(SubscribeToTaskRequest(id=task_id)))
    finally:
        await client.close()
        await http.aclose()


async def test_list_tasks_by_context(base_url: str) -> None:
    client, http = await open_client(base_url, "echo", "1.0")
    try:
        first = await send(client, text_message("first"))
        second = await send(client, text_message("second", context_id=first.context_id))
        listed = await client.list_tasks(ListTasksRequest(context_id=first.context_id))
        assert [t.id for t in listed.tasks] == [second.id, first.id]
        assert listed.total_size == 2 and listed.next_page_token == ""
        assert all(not t.artifacts for t in listed.tasks)
        page = await client.list_tasks(ListTasksRequest(context_id=first.context_id, page_size=1))
        assert [t.id for t in page.tasks] == [second.id] and page.next_page_token
    finally:
        await client.close()
        await http.aclose()


async def test_push_notifications_reach_a_local_receiver(base_url: str, version: str) -> None:
    client, http = await open_client(base_url, "echo", version)
    try:
        async with receiver() as hook:
            config = TaskPushNotificationConfig(url=hook.url, token="secret-token")
            config.authentication.scheme = "Bearer"
            config.authentication.credentials = "push-credential"
            task = await send(client, text_message("push me"), task_push_notification_config=config)

            def completed(delivery: Any) -> bool:
                body = delivery.body.get("task", delivery.body)
                return body.get("id") == task.id and body["status"]["state"] in (
                    "TASK_STATE_COMPLETED",
                    "completed",
                )

            delivery = await hook.wait_for(completed)
        assert delivery.headers["authorization"] == "Bearer push-credential"
        assert delivery.headers["x-a2a-notification-token"] == "secret-token"
    finally:
        await client.close()
        await http.aclose()


async def test_context_is_the_rest_thread(base_url: str, version: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT) as rest:
        thread_id = (await rest.post("/threads", json={})).json()["thread_id"]
        client, http = await open_client(base_url, "echo", version)
        try:
            task = await send(client, text_message("over a2a", context_id=thread_id))
            assert task.context_id == thread_id
        finally:
            await client.close()
            await http.aclose()
        state = (await rest.get(f"/threads/{thread_id}/state")).json()
        assert [(m["type"], m["content"]) for m in state["values"]["messages"]] == [
            ("human", "over a2a"),
            ("ai", "over a2a"),
        ]
        run = (await rest.get(f"/threads/{thread_id}/runs/{task.id}")).json()
        assert run["status"] == "success"


def progress_values(events: list[StreamResponse]) -> list[Any]:
    """The data of the working status updates that carry a data part."""
    found = []
    for event in events:
        status = event.status_update.status
        if event.HasField("status_update") and status.state == TaskState.TASK_STATE_WORKING:
            for part in status.message.parts:
                if part.HasField("data"):
                    found.append(json_format.MessageToDict(part.data))
    return found


async def countdown_stream(base_url: str, mode: str, n: int, delay: float) -> list[StreamResponse]:
    """The whole stream of a `countdown` task streamed in `mode`."""
    client, http = await open_client(base_url, "countdown", mode, streaming=True)
    try:
        request = SendMessageRequest(message=data_message({"n": n, "delay": delay}))
        return await events_of(client.send_message(request))
    finally:
        await client.close()
        await http.aclose()


async def test_custom_events_stream_as_working_updates(base_url: str, version: str) -> None:
    # 0.3 s apart: slower than the throttle, so every event comes through.
    events = await countdown_stream(base_url, version, 3, 0.3)
    assert progress_values(events) == [{"remaining": 3}, {"remaining": 2}, {"remaining": 1}]
    assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED


async def test_custom_events_are_throttled_to_the_latest(base_url: str) -> None:
    events = await countdown_stream(base_url, "1.0", 40, 0)
    values = progress_values(events)
    assert values[0] == {"remaining": 40} and values[-1] == {"remaining": 1}
    assert len(values) < 40
    # Coalescing never reorders: the countdown still counts down.
    counts = [v["remaining"] for v in values]
    assert counts == sorted(counts, reverse=True)


async def test_a_context_that_is_not_a_uuid_is_a_rest_thread(base_url: str, version: str) -> None:
    context_id = f"my-context-{uuid.uuid4().hex[:8]}"
    client, http = await open_client(base_url, "echo", version)
    try:
        first = await send(client, text_message("one", context_id=context_id))
        second = await send(client, text_message("two", context_id=context_id))
        assert first.context_id == context_id == second.context_id
        assert all(m.context_id == context_id for m in second.history)
        if version != "0.3":
            listed = await client.list_tasks(ListTasksRequest(context_id=context_id))
            assert [t.id for t in listed.tasks] == [second.id, first.id]
            assert {t.context_id for t in listed.tasks} == {context_id}
    finally:
        await client.close()
        await http.aclose()
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "urn:interop:a2a:contextId")
    thread_id = str(uuid.uuid5(namespace, context_id))
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT) as rest:
        response = await rest.get(f"/threads/{thread_id}/state")
        assert response.status_code == 200
        messages = response.json()["values"]["messages"]
        assert [m["content"] for m in messages] == ["one", "one", "two", "two"]
        run = (await rest.get(f"/threads/{thread_id}/runs/{first.id}")).json()
        assert run["metadata"]["a2a_context_id"] == context_id
