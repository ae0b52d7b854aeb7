"""Every method over both versions: send, stream, get, list, cancel, subscribe, push configs."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx

from .rpc import A2A, METHODS, text_of

LONG_COUNTDOWN = {"n": 600, "delay": 0.05}


async def wait_state(
    a2a: A2A, task_id: str, states: set[str], within: float = 30.0
) -> dict[str, object]:
    wanted = {a2a.state(s) for s in states}
    deadline = time.monotonic() + within
    while True:
        task = await a2a.result("get", {"id": task_id})
        if task["status"]["state"] in wanted:
            return dict(task)
        assert time.monotonic() < deadline, f"task {task_id} still {task['status']['state']}"
        await asyncio.sleep(0.05)


async def test_send_returns_a_completed_task(a2a: A2A) -> None:
    task = await a2a.send(a2a.message("hello a2a"))
    assert task["status"]["state"] == a2a.state("completed")
    assert text_of(task["artifacts"][0]["parts"]) == "hello a2a"
    assert task["id"] and task["contextId"]
    assert task["status"]["timestamp"].endswith("Z")
    assert task["history"][0]["messageId"]


async def test_message_reply_instead_of_a_task(a2a: A2A) -> None:
    tck = a2a.agent("tck")
    result = await tck.result(
        "send", {"message": tck.message("hi", message_id=f"tck-message-response-{uuid.uuid4()}")}
    )
    message = result["message"] if a2a.version == "1.0" else result
    if a2a.version == "0.3":
        assert message["kind"] == "message"
    assert text_of(message["parts"]) == "Direct message response"
    assert message["contextId"] and "taskId" not in message


async def test_stream_shape(a2a: A2A) -> None:
    events = await a2a.stream("stream", {"message": a2a.message("a b c")})
    results = [e["result"] for e in events]
    kinds = [a2a.event_kind(r) for r in results]
    assert kinds[0] == "task" and kinds[1] == "status" and kinds[-1] == "status"
    assert set(kinds[2:-1]) == {"artifact"}
    bodies = [a2a.event_body(r) for r in results]
    assert bodies[1]["status"]["state"] == a2a.state("working")
    chunks = [b for b, k in zip(bodies, kinds, strict=True) if k == "artifact"]
    assert "".join(text_of(c["artifact"]["parts"]) for c in chunks) == "a b c"
    assert chunks[-1].get("lastChunk") is True and chunks[0].get("append", False) is False
    assert bodies[-1]["status"]["state"] == a2a.state("completed")
    if a2a.version == "0.3":
        assert [b.get("final") for b, k in zip(bodies, kinds, strict=True) if k == "status"] == [
            False,
            True,
        ]
    task_id = bodies[0]["id"]
    assert all(b["taskId"] == task_id for b in bodies[1:])


async def test_get_task_history_length(a2a: A2A) -> None:
    task = await a2a.send(a2a.message("history"))
    assert len((await a2a.result("get", {"id": task["id"], "historyLength": 1}))["history"]) == 1
    assert "history" not in await a2a.result("get", {"id": task["id"], "historyLength": 0})
    assert await a2a.error_code("get", {"id": task["id"], "historyLength": -1}) == -32602


async def test_list_tasks_filters_and_pages(http: httpx.AsyncClient) -> None:
    a2a = A2A(http, "1.0", "echo")
    first = await a2a.send(a2a.message("one"))
    context = first["contextId"]
    second = await a2a.send(a2a.message("two", contextId=context))
    listed = await a2a.result("list", {"contextId": context})
    assert [t["id"] for t in listed["tasks"]] == [second["id"], first["id"]]
    assert listed["totalSize"] == 2 and listed["nextPageToken"] == ""
    assert all("artifacts" not in t for t in listed["tasks"])
    with_artifacts = await a2a.result("list", {"contextId": context, "includeArtifacts": True})
    assert all(t["artifacts"] for t in with_artifacts["tasks"])
    page = await a2a.result("list", {"context_id": context, "pageSize": 1})
    assert [t["id"] for t in page["tasks"]] == [second["id"]]
    rest = await a2a.result(
        "list", {"contextId": context, "pageSize": 1, "pageToken": page["nextPageToken"]}
    )
    assert [t["id"] for t in rest["tasks"]] == [first["id"]] and rest["nextPageToken"] == ""
    done = await a2a.result("list", {"contextId": context, "status": "TASK_STATE_COMPLETED"})
    assert len(done["tasks"]) == 2
    assert (await a2a.result("list", {"contextId": context, "status": "TASK_STATE_WORKING"}))[
        "tasks"
    ] == []
    # The enum's zero value and ProtoJSON's name for an unknown value filter nothing.
    for no_filter in ("TASK_STATE_UNSPECIFIED", "UNRECOGNIZED", 0):
        unfiltered = await a2a.result("list", {"contextId": context, "status": no_filter})
        assert len(unfiltered["tasks"]) == 2, no_filter
    assert await a2a.error_code("list", {"status": "NOT_A_STATE"}) == -32602
    assert await a2a.error_code("list", {"pageToken": "garbage"}) == -32602


async def test_cancel_a_working_task_then_a_terminal_one(a2a: A2A) -> None:
    countdown = a2a.agent("countdown")
    blocking = {"returnImmediately": True} if a2a.version == "1.0" else {"blocking": False}
    task = await countdown.send(countdown.message(data=LONG_COUNTDOWN), **blocking)
    assert task["status"]["state"] in (countdown.state("submitted"), countdown.state("working"))
    await wait_state(countdown, task["id"], {"working"})
    canceled = await countdown.result("cancel", {"id": task["id"]})
    assert canceled["status"]["state"] == countdown.state("canceled")
    assert await countdown.error_code("cancel", {"id": task["id"]}) == -32002
    assert await countdown.error_code("cancel", {"id": str(uuid.uuid4())}) == -32001


async def test_cancel_an_input_required_task(a2a: A2A) -> None:
    approval = a2a.agent("approval")
    task = await approval.send(approval.message("ship it"))
    assert task["status"]["state"] == approval.state("input-required")
    canceled = await approval.result("cancel", {"id": task["id"]})
    assert canceled["status"]["state"] == approval.state("canceled")
    assert (
        await approval.error_code("send", {"message": approval.message("yes", taskId=task["id"])})
        == -32004
    )


async def test_subscribe_follows_a_live_task(a2a: A2A) -> None:
    countdown = a2a.agent("countdown")
    blocking = {"returnImmediately": True} if a2a.version == "1.0" else {"blocking": False}
    task = await countdown.send(countdown.message(data={"n": 10, "delay": 0.05}), **blocking)
    events = await countdown.stream("subscribe", {"id": task["id"]})
    results = [e["result"] for e in events]
    assert countdown.event_kind(results[0]) == "task"
    last = countdown.event_body(results[-1])
    assert last["status"]["state"] == countdown.state("completed")
    again = await countdown.stream("subscribe", {"id": task["id"]})
    assert again[0]["error"]["code"] == -32004
    missing = await countdown.stream("subscribe", {"id": str(uuid.uuid4())})
    assert missing[0]["error"]["code"] == -32001


async def test_subscribe_waits_through_input_required(a2a: A2A) -> None:
    tck = a2a.agent("tck")
    task = await tck.send(tck.message("plain", message_id=f"tck-input-required-{uuid.uuid4()}"))
    assert task["status"]["state"] == tck.state("input-required")
    payload = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": METHODS[tck.version]["subscribe"],
        "params": {"id": task["id"]},
    }
    events: list[dict[str, object]] = []
    async with (
        asyncio.timeout(30),
        tck.http.stream("POST", tck.path, json=payload, headers=tck.headers()) as response,
    ):
        lines = response.aiter_lines()
        async for line in lines:
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                break
        # Subscribed (the first event is here): now answer the task from another call.
        message = tck.message(
            "done", message_id=f"tck-complete-task-{uuid.uuid4()}", taskId=task["id"]
        )
        await tck.result("send", {"message": message})
        async for line in lines:
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    states = [
        tck.event_body(e["result"])["status"]["state"]
        for e in events
        if tck.event_kind(e["result"]) in ("status", "task")
    ]
    assert states[0] == tck.state("input-required") and states[-1] == tck.state("completed")


async def test_push_config_lifecycle(a2a: A2A) -> None:
    task = await a2a.send(a2a.message("push config"))
    url = "https://example.com/a2a-hook"
    if a2a.version == "1.0":
        created = await a2a.result("push_set", {"taskId": task["id"], "url": url, "token": "t"})
        config_id = created["id"]
        assert created["url"] == url and created["taskId"] == task["id"] and config_id
        fetched = await a2a.result("push_get", {"taskId": task["id"], "id": config_id})
        assert fetched["url"] == url
        listed = await a2a.result("push_list", {"taskId": task["id"]})
        assert [c["id"] for c in listed["configs"]] == [config_id]
        ref = {"taskId": task["id"], "id": config_id}
    else:
        created = await a2a.result(
            "push_set", {"taskId": task["id"], "pushNotificationConfig": {"url": url, "token": "t"}}
        )
        config_id = created["pushNotificationConfig"]["id"]
        fetched = await a2a.result(
            "push_get", {"id": task["id"], "pushNotificationConfigId": config_id}
        )
        assert fetched["pushNotificationConfig"]["url"] == url
        listed = await a2a.result("push_list", {"id": task["id"]})
        assert [c["pushNotificationConfig"]["id"] for c in listed] == [config_id]
        ref = {"id": task["id"], "pushNotificationConfigId": config_id}
    await a2a.result("push_delete", ref)
    await a2a.result("push_delete", ref)  # idempotent
    get_ref = ref if a2a.version == "0.3" else {"taskId": task["id"], "id": config_id}
    assert await a2a.error_code("push_get", get_ref) == -32001


async def test_push_config_errors(a2a: A2A) -> None:
    missing = str(uuid.uuid4())
    if a2a.version == "1.0":
        assert (
            await a2a.error_code("push_set", {"taskId": missing, "url": "https://example.com/h"})
            == -32001
        )
        assert await a2a.error_code("push_list", {"taskId": missing}) == -32001
        task = await a2a.send(a2a.message("bad url"))
        assert (
            await a2a.error_code("push_set", {"taskId": task["id"], "url": "ftp://example.com"})
            == -32602
        )
    else:
        params = {"taskId": missing, "pushNotificationConfig": {"url": "https://example.com/h"}}
        assert await a2a.error_code("push_set", params) == -32001
        assert await a2a.error_code("push_list", {"id": missing}) == -32001
