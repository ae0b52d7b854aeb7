"""Run streams: every stream mode through the SDK, SSE framing on the wire, joining a run's stream,
and dropping a stream mid-way then resuming it with Last-Event-ID."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from langgraph_sdk.client import LangGraphClient

from .support import (
    COUNTDOWN,
    ECHO,
    TIMEOUT,
    Record,
    countdown_input,
    iter_sse,
    new_thread,
    read_sse,
    run_status,
    stream_until_remaining,
    thread_status,
    user_message,
)

TEXT = "hi there friend"


async def collect(stream: Any) -> list[tuple[str, Any]]:
    parts: list[tuple[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        async for part in stream:
            parts.append((part.event, part.data))
    return parts


async def stream_echo(client: LangGraphClient, mode: Any, **kwargs: Any) -> list[tuple[str, Any]]:
    thread_id = await new_thread(client)
    return await collect(
        client.runs.stream(thread_id, ECHO, input=user_message(TEXT), stream_mode=mode, **kwargs)
    )


def assert_metadata_first(parts: list[tuple[str, Any]]) -> None:
    assert parts, "empty stream"
    event, data = parts[0]
    assert event == "metadata"
    uuid.UUID(data["run_id"])
    assert data["attempt"] == 1


def events_named(parts: list[tuple[str, Any]], name: str) -> list[Any]:
    return [data for event, data in parts if event == name]


async def test_values_mode_is_the_default(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    parts = await collect(client.runs.stream(thread_id, ECHO, input=user_message(TEXT)))
    assert_metadata_first(parts)
    values = events_named(parts, "values")
    assert len(values) >= 2
    assert [m["type"] for m in values[0]["messages"]] == ["human"]
    assert [(m["type"], m["content"]) for m in values[-1]["messages"]] == [
        ("human", TEXT),
        ("ai", TEXT),
    ]
    assert {event for event, _ in parts} <= {"metadata", "values"}


async def test_updates_mode(client: LangGraphClient) -> None:
    parts = await stream_echo(client, "updates")
    assert_metadata_first(parts)
    updates = events_named(parts, "updates")
    assert len(updates) == 1
    (message,) = updates[0]["respond"]["messages"]
    assert (message["type"], message["content"]) == ("ai", TEXT)


async def test_messages_mode(client: LangGraphClient) -> None:
    parts = await stream_echo(client, "messages")
    assert_metadata_first(parts)
    names = [event for event, _ in parts[1:]]
    assert "messages/metadata" in names
    assert "messages/partial" in names
    assert names.index("messages/metadata") < names.index("messages/partial")
    metadata = events_named(parts, "messages/metadata")[0]
    (entry,) = metadata.values()
    assert entry["metadata"]["langgraph_node"] == "respond"
    partials = events_named(parts, "messages/partial")
    contents = [p[0]["content"] for p in partials]
    assert contents[-1] == TEXT
    assert all(TEXT.startswith(c) for c in contents)  # the message accumulates
    assert len(set(contents)) >= 3  # streamed token by token


async def test_messages_tuple_mode(client: LangGraphClient) -> None:
    parts = await stream_echo(client, "messages-tuple")
    assert_metadata_first(parts)
    chunks = events_named(parts, "messages")
    assert len(chunks) >= 3
    for message, metadata in chunks:
        assert message["type"] in ("AIMessageChunk", "ai")
        assert metadata["langgraph_node"] == "respond"
    assert "".join(m["content"] for m, _ in chunks) == TEXT
    assert {event for event, _ in parts} == {"metadata", "messages"}


async def test_custom_mode(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    parts = await collect(
        client.runs.stream(
            thread_id, COUNTDOWN, input=countdown_input(3, 0.01), stream_mode="custom"
        )
    )
    assert_metadata_first(parts)
    assert events_named(parts, "custom") == [{"remaining": 3}, {"remaining": 2}, {"remaining": 1}]
    assert {event for event, _ in parts} == {"metadata", "custom"}


async def test_several_modes_interleave(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    parts = await collect(
        client.runs.stream(
            thread_id, COUNTDOWN, input=countdown_input(2, 0.01), stream_mode=["custom", "updates"]
        )
    )
    names = [event for event, _ in parts]
    assert names == ["metadata", "custom", "custom", "updates"]
    assert parts[-1][1]["count"]["messages"][0]["content"] == "done"


async def test_events_mode(client: LangGraphClient) -> None:
    parts = await stream_echo(client, "events")
    assert_metadata_first(parts)
    events = events_named(parts, "events")
    kinds = [e["event"] for e in events]
    assert "on_chain_start" in kinds
    assert "on_chain_end" in kinds
    assert "on_chat_model_start" in kinds
    streamed = [
        e["data"]["chunk"]["content"] for e in events if e["event"] == "on_chat_model_stream"
    ]
    assert "".join(streamed) == TEXT
    for event in events:
        assert {"event", "name", "run_id", "data"} <= set(event)


async def test_debug_mode(client: LangGraphClient) -> None:
    parts = await stream_echo(client, "debug")
    assert_metadata_first(parts)
    debug = events_named(parts, "debug")
    kinds = [d["type"] for d in debug]
    assert "checkpoint" in kinds
    assert "task" in kinds
    assert "task_result" in kinds
    task = next(d for d in debug if d["type"] == "task")
    assert task["payload"]["name"] == "respond"
    for entry in debug:
        assert {"step", "timestamp", "type", "payload"} <= set(entry)


async def test_tasks_mode(client: LangGraphClient) -> None:
    parts = await stream_echo(client, "tasks")
    assert_metadata_first(parts)
    tasks = events_named(parts, "tasks")
    starts = [t for t in tasks if "input" in t]
    ends = [t for t in tasks if "result" in t]
    assert [t["name"] for t in starts] == ["respond"]
    assert [t["name"] for t in ends] == ["respond"]
    assert ends[0]["error"] is None
    assert starts[0]["id"] == ends[0]["id"]


async def test_checkpoints_mode(client: LangGraphClient) -> None:
    parts = await stream_echo(client, "checkpoints")
    assert_metadata_first(parts)
    checkpoints = events_named(parts, "checkpoints")
    assert len(checkpoints) == 3
    assert [c["metadata"]["step"] for c in checkpoints] == [-1, 0, 1]
    assert checkpoints[1]["next"] == ["respond"]
    assert checkpoints[-1]["next"] == []
    for checkpoint in checkpoints:
        assert checkpoint["config"]["configurable"]["checkpoint_id"]
        assert "values" in checkpoint


async def test_stream_subgraphs_on_a_flat_graph_changes_nothing(client: LangGraphClient) -> None:
    parts = await stream_echo(client, ["updates"], stream_subgraphs=True)
    assert [event for event, _ in parts] == ["metadata", "updates"]


async def test_stream_v2_format(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    parts = []
    async with asyncio.timeout(TIMEOUT):
        async for part in client.runs.stream(
            thread_id,
            COUNTDOWN,
            input=countdown_input(2, 0.01),
            stream_mode="custom",
            version="v2",
        ):
            parts.append(part)
    assert [p["type"] for p in parts] == ["metadata", "custom", "custom"]
    assert [p["data"] for p in parts[1:]] == [{"remaining": 2}, {"remaining": 1}]


async def test_failing_run_streams_an_error_event(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    parts = await collect(
        client.runs.stream(thread_id, COUNTDOWN, input={"n": "abc"}, stream_mode="values")
    )
    assert parts[-1][0] == "error"
    assert parts[-1][1]["error"] == "ValueError"
    assert isinstance(parts[-1][1]["message"], str)
    runs = await client.runs.list(thread_id)
    assert runs[0]["status"] == "error"
    assert (await client.threads.get(thread_id))["status"] == "error"


# -- the wire --------------------------------------------------------------------------------


async def test_sse_framing(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    response, records, _ = await read_sse(
        http,
        "POST",
        f"/threads/{thread_id}/runs/stream",
        json={
            "assistant_id": COUNTDOWN,
            "input": countdown_input(2, 0.01),
            "stream_mode": ["custom"],
        },
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    run_id = records[0].data["run_id"]
    assert response.headers["location"] == f"/threads/{thread_id}/runs/{run_id}/stream"
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run_id}"
    body = response.content
    assert body.startswith(b"event: metadata\r\ndata: ")
    assert b"\r\n\r\n" in body
    assert b"\n" not in body.replace(b"\r\n", b"")  # every line ends CRLF
    assert [r.event for r in records] == ["metadata", "custom", "custom"]
    assert records[0].data == {"run_id": run_id, "attempt": 1}
    assert [r.data for r in records[1:]] == [{"remaining": 2}, {"remaining": 1}]


async def test_sse_ids_are_unique_and_increasing(
    http: httpx.AsyncClient, client: LangGraphClient
) -> None:
    thread_id = await new_thread(client)
    _, records, _ = await read_sse(
        http,
        "POST",
        f"/threads/{thread_id}/runs/stream",
        json={
            "assistant_id": ECHO,
            "input": user_message("a b c d e f g h i j k l m n o p"),
            "stream_mode": ["messages-tuple", "values", "updates", "debug"],
            "stream_resumable": True,
        },
    )
    ids = [r.id for r in records]
    assert all(ids), "every record carries an id when stream_resumable is true"
    keys = []
    for ident in ids:
        ms, seq = ident.split("-")  # type: ignore[union-attr]
        keys.append((int(ms), int(seq)))
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys)


async def test_long_silent_runs(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    """A run silent for longer than the heartbeat interval (5 s): its stream gets `: heartbeat`
    comments, and /wait and /join (which keep the connection alive while they wait) still give
    the SDK a body it parses. The three run side by side to keep the suite fast."""
    silent = countdown_input(1, 6.0)

    async def stream() -> None:
        thread_id = await new_thread(client)
        _, records, comments = await read_sse(
            http,
            "POST",
            f"/threads/{thread_id}/runs/stream",
            json={"assistant_id": COUNTDOWN, "input": silent, "stream_mode": "custom"},
            within=30,
        )
        assert [r.event for r in records] == ["metadata", "custom"]
        assert "heartbeat" in comments

    async def wait() -> None:
        thread_id = await new_thread(client)
        result = await client.runs.wait(thread_id, COUNTDOWN, input=silent)
        assert result["messages"][-1]["content"] == "done"

    async def join() -> None:
        thread_id = await new_thread(client)
        run = await client.runs.create(thread_id, COUNTDOWN, input=silent)
        result = await client.runs.join(thread_id, run["run_id"])
        assert result["messages"][-1]["content"] == "done"

    async with asyncio.timeout(40):
        await asyncio.gather(stream(), wait(), join())


# -- joining ---------------------------------------------------------------------------------


async def test_join_stream_of_a_background_run(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(
        thread_id, COUNTDOWN, input=countdown_input(4, 0.1), stream_mode=["custom"]
    )
    parts = await collect(client.runs.join_stream(thread_id, run["run_id"]))
    assert [d["remaining"] for e, d in parts if e == "custom"] == [4, 3, 2, 1]
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"


async def test_join_stream_mid_run_gets_the_rest(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(
        thread_id, COUNTDOWN, input=countdown_input(8, 0.2), stream_mode=["custom"]
    )
    await run_status(client, thread_id, run["run_id"], {"running"})
    parts = await collect(client.runs.join_stream(thread_id, run["run_id"]))
    remaining = [d["remaining"] for e, d in parts if e == "custom"]
    assert remaining
    assert remaining == list(range(remaining[0], 0, -1))  # contiguous, through to the end


async def test_join_stream_filters_by_mode(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(
        thread_id,
        COUNTDOWN,
        input=countdown_input(3, 0.1),
        stream_mode=["custom", "values"],
        stream_resumable=True,
    )
    await run_status(client, thread_id, run["run_id"])
    parts = await collect(
        client.runs.join_stream(thread_id, run["run_id"], stream_mode="custom", last_event_id="0-0")
    )
    assert [e for e, _ in parts if e != "metadata"] == ["custom"] * 3


async def test_join_stream_unknown_run(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    response, records, _ = await read_sse(
        http, "GET", f"/threads/{thread_id}/runs/{uuid.uuid4()}/stream"
    )
    # The reference answers 200 with one `error` record; a plain 404 is the rule.
    if response.status_code == 200:
        assert [r.event for r in records] == ["error"]
    else:
        assert response.status_code == 404


async def test_last_event_id_minus_one_replays_everything(
    http: httpx.AsyncClient, client: LangGraphClient
) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(
        thread_id,
        COUNTDOWN,
        input=countdown_input(2, 0.01),
        stream_mode=["custom"],
        stream_resumable=True,
    )
    await run_status(client, thread_id, run["run_id"])
    response, records, _ = await read_sse(
        http,
        "GET",
        f"/threads/{thread_id}/runs/{run['run_id']}/stream",
        headers={"Last-Event-ID": "-1"},
    )
    assert response.status_code == 200
    assert [r.event for r in records] == ["metadata", "custom", "custom"]


async def test_drop_and_resume_with_last_event_id(
    http: httpx.AsyncClient, client: LangGraphClient
) -> None:
    """Drop a resumable stream mid-way, reconnect with Last-Event-ID: together the two parts are
    exactly the full replay — no event missing, none repeated."""
    thread_id = await new_thread(client)
    body = {
        "assistant_id": COUNTDOWN,
        "input": countdown_input(5, 0.2),
        "stream_mode": ["custom", "values", "updates"],
        "stream_resumable": True,
    }
    first = await stream_until_remaining(http, thread_id, body, 4)
    run_id = first[0].data["run_id"]
    assert first[-1].id
    run = await client.runs.get(thread_id, run_id)
    assert run["status"] in ("pending", "running")  # on_disconnect defaults to continue

    _, rest, _ = await read_sse(
        http,
        "GET",
        f"/threads/{thread_id}/runs/{run_id}/stream",
        headers={"Last-Event-ID": first[-1].id},
    )
    assert rest, "nothing after the resume point"
    assert (await run_status(client, thread_id, run_id))["status"] == "success"

    _, full, _ = await read_sse(
        http,
        "GET",
        f"/threads/{thread_id}/runs/{run_id}/stream",
        headers={"Last-Event-ID": "0-0"},
    )
    assert [r.event for r in full].count("custom") == 5
    assert full[0].event == "metadata"

    def key(r: Record) -> tuple[str | None, str | None, str | None]:
        return (r.id, r.event, r.raw_data)

    combined = [key(r) for r in first + rest]
    assert len(set(combined)) == len(combined), "duplicate events after resuming"
    assert combined == [key(r) for r in full]


async def test_resume_through_the_sdk(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    seen: list[Any] = []
    async with asyncio.timeout(TIMEOUT):
        async for part in client.runs.stream(
            thread_id,
            COUNTDOWN,
            input=countdown_input(5, 0.2),
            stream_mode="custom",
            stream_resumable=True,
        ):
            seen.append(part)
            if part.event == "custom" and part.data["remaining"] == 3:
                break
    run_id = seen[0].data["run_id"]
    last_id = seen[-1].id
    assert last_id
    rest = await collect(client.runs.join_stream(thread_id, run_id, last_event_id=last_id))
    assert [d["remaining"] for e, d in rest if e == "custom"] == [2, 1]


async def test_on_disconnect_cancel(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    body = {
        "assistant_id": COUNTDOWN,
        "input": countdown_input(200, 0.1),
        "stream_mode": ["custom"],
        "on_disconnect": "cancel",
    }
    run_id = None
    async with (
        asyncio.timeout(TIMEOUT),
        http.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response,
    ):
        async for record in iter_sse(response):
            if record.event == "metadata":
                run_id = record.data["run_id"]
            if record.event == "custom":
                break
    assert run_id is not None
    run = await run_status(client, thread_id, run_id)
    assert run["status"] == "interrupted"
    await thread_status(client, thread_id, ["idle", "interrupted"])


async def test_on_disconnect_continue_is_the_default(
    http: httpx.AsyncClient, client: LangGraphClient
) -> None:
    thread_id = await new_thread(client)
    body = {"assistant_id": COUNTDOWN, "input": countdown_input(5, 0.1), "stream_mode": "custom"}
    run_id = None
    async with (
        asyncio.timeout(TIMEOUT),
        http.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response,
    ):
        async for record in iter_sse(response):
            if record.event == "metadata":
                run_id = record.data["run_id"]
            if record.event == "custom":
                break
    assert run_id is not None
    assert (await run_status(client, thread_id, run_id))["status"] == "success"
