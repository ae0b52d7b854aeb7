"""SSE wire contract of POST /threads/{id}/runs/stream: framing, stream modes, errors."""

from __future__ import annotations

import itertools
import re
import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from . import sse
from .agents import FAILING_COUNTDOWN, user, wait_for_status

ID_PATTERN = re.compile(r"^\d+-\d+$")


async def run_stream(
    http: httpx.AsyncClient, thread_id: str | None, **body: Any
) -> tuple[httpx.Response, sse.Stream]:
    url = f"/threads/{thread_id}/runs/stream" if thread_id else "/runs/stream"
    return await sse.stream_request(http, "POST", url, json_body=body)


async def echo_stream(
    http: httpx.AsyncClient, thread_id: str, text: str = "hi there", **body: Any
) -> tuple[httpx.Response, sse.Stream]:
    return await run_stream(http, thread_id, assistant_id="echo", input=user(text), **body)


# --- framing -------------------------------------------------------------------------------


async def test_stream_answers_200_event_stream_with_location_headers(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response, stream = await echo_stream(http, thread_id)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    run_id = stream.events[0].data["run_id"]
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run_id}"
    assert response.headers["location"] == f"/threads/{thread_id}/runs/{run_id}/stream"


async def test_stream_uses_crlf_line_endings(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await echo_stream(http, thread_id)
    assert stream.raw.endswith("\r\n\r\n")
    assert "\n" not in stream.raw.replace("\r\n", "")


async def test_stream_first_record_is_metadata_with_run_id_and_attempt(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id)
    first = stream.events[0]
    assert first.event == "metadata"
    assert set(first.data) >= {"run_id", "attempt"}
    assert first.data["attempt"] == 1
    assert (await http.get(f"/threads/{thread_id}/runs/{first.data['run_id']}")).status_code == 200


async def test_stream_record_has_event_then_data_lines(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id)
    for record in stream.events:
        assert record.field_order[:2] == ["event", "data"]
        assert "\n" not in (record.data_text or "")


async def test_stream_ends_by_closing_after_the_last_event(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id)
    assert stream.closed
    names = stream.names
    # The reference just closes; a server may end with an `end` event, but nothing may follow it.
    if "end" in names:
        assert names.index("end") == len(names) - 1


async def test_stream_without_resumable_has_no_event_ids_requirement(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    """Without `stream_resumable`, `id:` lines are optional; when present they are well formed."""
    _, stream = await echo_stream(http, thread_id)
    for record in stream.events:
        if record.id is not None:
            assert ID_PATTERN.match(record.id)


async def test_stream_resumable_adds_id_lines(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await echo_stream(http, thread_id, stream_resumable=True)
    assert stream.events
    for record in stream.events:
        assert record.id is not None and ID_PATTERN.match(record.id), record


@pytest.mark.interop_extension
async def test_stream_always_has_id_lines(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await echo_stream(http, thread_id)
    for record in stream.events:
        assert record.id is not None and ID_PATTERN.match(record.id), record


@pytest.mark.interop_extension
async def test_stream_event_ids_strictly_increase(http: httpx.AsyncClient, thread_id: str) -> None:
    """`<ms>-<seq>` ids never repeat within a run, even in one millisecond."""
    _, stream = await echo_stream(
        http,
        thread_id,
        text="many small tokens arrive in the same millisecond here",
        stream_mode=["messages-tuple", "values", "updates", "debug"],
        stream_resumable=True,
    )
    ids = [tuple(int(p) for p in r.id.split("-")) for r in stream.events if r.id]
    assert len(ids) == len(stream.events)
    assert all(a < b for a, b in itertools.pairwise(ids)), ids


@pytest.mark.slow
async def test_stream_sends_heartbeat_comments_while_idle(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await sse.stream_request(
        http,
        "POST",
        f"/threads/{thread_id}/runs/stream",
        json_body={
            "assistant_id": "countdown",
            "input": {"n": 1, "delay": 12},
            "stream_mode": "custom",
        },
        within=20,
        stop=lambda record: record.is_comment_only,
    )
    comments = [c for r in stream.records for c in r.comments]
    assert comments, "no comment record within 12 s of silence"
    assert "heartbeat" in comments[0]
    await http.post(
        f"/threads/{thread_id}/runs/{stream.events[0].data['run_id']}/cancel", params={"wait": 0}
    )


# --- stream modes (echo graph unless said) ------------------------------------------------


async def test_default_stream_mode_is_values(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await echo_stream(http, thread_id)
    assert set(stream.names) == {"metadata", "values"}


async def test_mode_values_sends_full_state_after_each_step(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="values")
    values = [r.data for r in stream.named("values")]
    assert [m["content"] for m in values[0]["messages"]] == ["hi there"]
    assert [m["type"] for m in values[-1]["messages"]] == ["human", "ai"]
    assert values[-1]["messages"][-1]["content"] == "hi there"


async def test_mode_updates_sends_node_outputs(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="updates")
    updates = [r.data for r in stream.named("updates")]
    assert len(updates) == 1
    (message,) = updates[0]["respond"]["messages"]
    assert (message["type"], message["content"]) == ("ai", "hi there")


async def test_mode_messages_sends_metadata_then_growing_partials(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="messages")
    names = [n for n in stream.names if n != "metadata"]
    assert names[0] == "messages/metadata"
    assert set(names[1:]) <= {"messages/partial", "messages/complete"}
    first_meta = stream.named("messages/metadata")[0].data
    (message_id,) = first_meta
    assert first_meta[message_id]["metadata"]["langgraph_node"] == "respond"
    partials = [
        r.data for r in stream.records if r.event in ("messages/partial", "messages/complete")
    ]
    contents = [p[0]["content"] for p in partials]
    assert contents[0] == "hi"
    assert contents[-1] == "hi there"
    assert all(p[0]["id"] == message_id for p in partials)
    assert all(p[0]["type"] in ("ai", "AIMessageChunk") for p in partials)


async def test_mode_messages_completes_a_returned_message(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    """A node that returns a message without streaming it gives `messages/complete`."""
    _, stream = await run_stream(
        http,
        thread_id,
        assistant_id="countdown",
        input={"n": 1, "delay": 0.01},
        stream_mode="messages",
    )
    (complete,) = stream.named("messages/complete")
    assert complete.data[0]["content"] == "done"
    assert stream.named("messages/metadata")


async def test_mode_messages_tuple_sends_chunk_and_metadata_pairs(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="messages-tuple")
    pairs = [r.data for r in stream.named("messages")]
    assert pairs
    for chunk, metadata in pairs:
        assert chunk["type"] in ("AIMessageChunk", "ai")
        assert metadata["langgraph_node"] == "respond"
    assert "".join(chunk["content"] for chunk, _ in pairs) == "hi there"
    assert len(pairs) >= 2, "echo streams token by token"


async def test_mode_custom_sends_writer_payloads(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await run_stream(
        http,
        thread_id,
        assistant_id="countdown",
        input={"n": 3, "delay": 0.01},
        stream_mode="custom",
    )
    assert [r.data for r in stream.named("custom")] == [
        {"remaining": 3},
        {"remaining": 2},
        {"remaining": 1},
    ]


async def test_mode_events_sends_langchain_events(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="events")
    kinds = [r.data["event"] for r in stream.named("events")]
    assert kinds[0] == "on_chain_start"
    assert kinds[-1] == "on_chain_end"
    assert "on_chat_model_stream" in kinds


async def test_mode_debug_sends_checkpoints_and_tasks(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="debug")
    types = [r.data["type"] for r in stream.named("debug")]
    assert {"checkpoint", "task", "task_result"} <= set(types)
    for record in stream.named("debug"):
        assert {"step", "timestamp", "type", "payload"} <= set(record.data)


async def test_mode_tasks_sends_task_start_and_result(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="tasks")
    start, result = (r.data for r in stream.named("tasks"))
    assert start["name"] == result["name"] == "respond"
    assert start["id"] == result["id"]
    assert "input" in start
    assert result["error"] is None
    assert result["result"]["messages"][0]["content"] == "hi there"


async def test_mode_checkpoints_sends_each_checkpoint(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await echo_stream(http, thread_id, stream_mode="checkpoints")
    checkpoints = [r.data for r in stream.named("checkpoints")]
    assert [c["metadata"]["step"] for c in checkpoints] == [-1, 0, 1]
    for checkpoint in checkpoints:
        assert {"config", "values", "metadata", "next", "tasks"} <= set(checkpoint)
    assert checkpoints[-1]["next"] == []


async def test_several_modes_are_interleaved_by_name(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await run_stream(
        http,
        thread_id,
        assistant_id="countdown",
        input={"n": 2, "delay": 0.01},
        stream_mode=["custom", "updates", "values"],
    )
    assert set(stream.names) == {"metadata", "custom", "updates", "values"}
    assert stream.names.index("custom") < stream.names.index("updates")


async def test_stream_subgraphs_is_accepted_on_a_flat_graph(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response, stream = await echo_stream(
        http, thread_id, stream_mode=["updates", "values"], stream_subgraphs=True
    )
    assert response.status_code == 200
    assert {n.split("|")[0] for n in stream.names} == {"metadata", "updates", "values"}


# --- outcomes -----------------------------------------------------------------------------


async def test_failing_run_ends_stream_with_error_event(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await run_stream(http, thread_id, assistant_id="countdown", input=FAILING_COUNTDOWN)
    errors = stream.named("error")
    assert len(errors) == 1
    assert errors[0].data["error"] == "ValueError"
    assert isinstance(errors[0].data["message"], str)
    assert stream.names[-1] in ("error", "end")
    assert stream.closed


async def test_interrupt_streams_an_interrupt_update(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await run_stream(
        http,
        thread_id,
        assistant_id="approval",
        input=user("buy"),
        stream_mode=["updates", "values"],
    )
    updates = [r.data for r in stream.named("updates")]
    interrupt_updates = [u for u in updates if "__interrupt__" in u]
    assert len(interrupt_updates) == 1
    (interrupt,) = interrupt_updates[0]["__interrupt__"]
    assert interrupt["value"]["question"] == "Approve this request? buy"
    assert "error" not in stream.names


async def test_resume_streams_the_answer(http: httpx.AsyncClient, thread_id: str) -> None:
    await run_stream(http, thread_id, assistant_id="approval", input=user("buy"))
    _, stream = await run_stream(
        http,
        thread_id,
        assistant_id="approval",
        command={"resume": {"approved": True}},
        stream_mode="updates",
    )
    (update,) = stream.named("updates")
    assert update.data["ask"]["messages"][0]["content"] == "Approved."


@pytest.mark.parametrize("mode", ["bogus", ["values", "bogus"]])
async def test_invalid_stream_mode_422_before_streaming(
    http: httpx.AsyncClient, thread_id: str, mode: Any
) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs/stream",
        json={"assistant_id": "echo", "input": user("x"), "stream_mode": mode},
    )
    assert response.status_code == 422
    assert "detail" in response.json()


async def test_invalid_stream_mode_on_background_run_422(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "echo", "input": user("x"), "stream_mode": "bogus"},
    )
    assert response.status_code == 422


async def test_stream_on_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"/threads/{uuid.uuid4()}/runs/stream", json={"assistant_id": "echo", "input": user("x")}
    )
    assert response.status_code == 404


async def test_on_disconnect_cancel_stops_the_run(http: httpx.AsyncClient, thread_id: str) -> None:
    _, stream = await sse.stream_request(
        http,
        "POST",
        f"/threads/{thread_id}/runs/stream",
        json_body={
            "assistant_id": "countdown",
            "input": {"n": 300, "delay": 0.2},
            "stream_mode": "custom",
            "on_disconnect": "cancel",
        },
        stop=lambda record: record.event == "custom",
    )
    run_id = stream.events[0].data["run_id"]
    status = await wait_for_status(http, thread_id, run_id, {"interrupted", "error"})
    assert status in ("interrupted", "error")


async def test_on_disconnect_default_continues_the_run(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    _, stream = await sse.stream_request(
        http,
        "POST",
        f"/threads/{thread_id}/runs/stream",
        json_body={
            "assistant_id": "countdown",
            "input": {"n": 3, "delay": 0.2},
            "stream_mode": "custom",
        },
        stop=lambda record: record.event == "custom",
    )
    run_id = stream.events[0].data["run_id"]
    assert await wait_for_status(http, thread_id, run_id, {"success"}) == "success"


async def test_sdk_stream_yields_metadata_then_values(sdk: LangGraphClient, thread_id: str) -> None:
    parts = [
        part
        async for part in sdk.runs.stream(
            thread_id, "echo", input=user("sdk"), stream_mode=["values", "messages-tuple"]
        )
    ]
    assert parts[0].event == "metadata"
    assert {p.event for p in parts} == {"metadata", "values", "messages"}
    assert parts[-1].event in ("values", "messages")
    final = [p.data for p in parts if p.event == "values"][-1]
    assert final["messages"][-1]["content"] == "sdk"
