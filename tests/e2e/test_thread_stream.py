"""The thread-centric (v2) protocol routes over raw HTTP: framing, replay, and precise errors.

The JS SDK drives the same routes in test_js_clients.py; this file checks what a client cannot
see through it: SSE framing (`event:` = method, `id:` = event_id), `since`, two runs on one
stream, and that bad input is a 400/404/422 or a protocol error, never a 500 or a hang.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .support import TIMEOUT, Record, iter_sse


async def _command(http: httpx.AsyncClient, thread_id: str, body: Any) -> httpx.Response:
    return await http.post(f"/threads/{thread_id}/commands", json=body)


async def _start(http: httpx.AsyncClient, thread_id: str, text: str, command_id: int = 1) -> str:
    body = {
        "id": command_id,
        "method": "run.start",
        "params": {
            "assistant_id": "echo",
            "input": {"messages": [{"role": "user", "content": text}]},
        },
    }
    response = await _command(http, thread_id, body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["type"] == "success" and answer["id"] == command_id
    return str(answer["result"]["run_id"])


async def _until_terminals(
    http: httpx.AsyncClient,
    thread_id: str,
    body: dict[str, Any],
    terminals: int,
    after_first: Callable[[], Awaitable[None]] | None = None,
) -> list[Record]:
    """Records of a stream until `terminals` root terminal lifecycle events have arrived;
    `after_first` runs when the first has (the stream is open and following the thread)."""
    records: list[Record] = []
    seen = 0
    async with (
        asyncio.timeout(TIMEOUT),
        http.stream("POST", f"/threads/{thread_id}/stream/events", json=body) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for record in iter_sse(response):
            records.append(record)
            data = record.data["params"]["data"]
            if (
                record.event == "lifecycle"
                and not record.data["params"]["namespace"]
                and data["event"] in ("completed", "failed", "interrupted")
            ):
                seen += 1
                if seen == terminals:
                    return records
                if seen == 1 and after_first is not None:
                    await after_first()
    raise AssertionError("the stream ended early")


async def test_stream_framing_replay_and_following_runs(http: httpx.AsyncClient) -> None:
    thread_id = str(uuid.uuid4())
    await _start(http, thread_id, "one")
    body = {"channels": ["values", "lifecycle"]}
    first = await _until_terminals(http, thread_id, body, 1)
    assert first[0].event == "lifecycle"
    for record in first:
        assert record.event == record.data["method"] and record.id == record.data["event_id"]
        assert record.data["type"] == "event"
    values = [r.data for r in first if r.event == "values"]
    assert values[-1]["params"]["data"]["messages"][-1]["content"] == "one"

    # `since` replays only what came after it.
    since = values[-1]["seq"]
    replayed = await _until_terminals(http, thread_id, {**body, "since": since}, 1)
    assert [r.event for r in replayed] == ["lifecycle"]

    # A stream follows the next run on the thread too.
    async def second_run() -> None:
        await _start(http, thread_id, "two", command_id=2)

    both = await _until_terminals(http, thread_id, body, 2, after_first=second_run)
    seqs = [r.data["seq"] for r in both]
    assert seqs == sorted(seqs)
    final = [r.data for r in both if r.event == "values"][-1]
    assert [m["content"] for m in final["params"]["data"]["messages"]] == [
        "one",
        "one",
        "two",
        "two",
    ]


async def test_commands_answer_protocol_errors(http: httpx.AsyncClient) -> None:
    thread_id = str(uuid.uuid4())
    malformed = await http.post(
        f"/threads/{thread_id}/commands",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["type"] == "error" and malformed.json()["id"] is None
    for envelope in ([], {"method": "run.start"}, {"id": -1, "method": "x"}, {"id": 1}):
        response = await _command(http, thread_id, envelope)
        assert response.status_code == 400, envelope
        assert response.json()["error"] == "invalid_argument"

    cases = [
        ({"id": 7, "method": "no.such"}, "unknown_command"),
        ({"id": 8, "method": "run.start", "params": {}}, "invalid_argument"),
        ({"id": 9, "method": "run.start", "params": []}, "invalid_argument"),
        (
            {"id": 10, "method": "run.start", "params": {"assistant_id": str(uuid.uuid4())}},
            "invalid_argument",
        ),
        (
            {"id": 11, "method": "input.respond", "params": {"interrupt_id": "x"}},
            "invalid_argument",
        ),
        ({"id": 12, "method": "input.respond", "params": {}}, "invalid_argument"),
    ]
    for body, code in cases:
        response = await _command(http, thread_id, body)
        assert response.status_code == 200, body
        answer = response.json()
        assert (answer["type"], answer["id"], answer["error"]) == ("error", body["id"], code)
    # An unknown assistant made no thread.
    assert (await http.get(f"/threads/{thread_id}")).status_code == 404

    await _start(http, thread_id, "hi")
    response = await _command(
        http,
        thread_id,
        {"id": 13, "method": "input.respond", "params": {"interrupt_id": "x", "response": 1}},
    )
    assert response.json()["error"] == "no_such_interrupt"


async def test_stream_requests_are_checked(http: httpx.AsyncClient) -> None:
    missing = str(uuid.uuid4())
    assert (
        await http.post(f"/threads/{missing}/stream/events", json={"channels": ["values"]})
    ).status_code == 404
    assert (
        await http.post("/threads/not-a-uuid/stream/events", json={"channels": ["values"]})
    ).status_code == 422
    assert (
        await http.post("/threads/not-a-uuid/commands", json={"id": 1, "method": "x"})
    ).status_code == 422
    for body in (
        {},
        {"channels": []},
        {"channels": ["nope"]},
        {"channels": ["values"], "since": -1},
    ):
        response = await http.post(f"/threads/{missing}/stream/events", json=body)
        assert response.status_code == 400, body


async def test_run_start_on_a_waiting_thread_is_the_answer(http: httpx.AsyncClient) -> None:
    thread_id = str(uuid.uuid4())
    ask = {"assistant_id": "approval", "input": {"messages": [{"role": "user", "content": "go"}]}}
    answer = (
        await _command(http, thread_id, {"id": 1, "method": "run.start", "params": ask})
    ).json()
    assert answer["type"] == "success"
    body = {"channels": ["values", "lifecycle", "input"]}
    first = await _until_terminals(http, thread_id, body, 1)
    (requested,) = [r.data["params"]["data"] for r in first if r.event == "input.requested"]
    assert requested["payload"]["schema"]["required"] == ["approved"]
    assert first[-1].data["params"]["data"]["event"] == "interrupted"

    no = {"assistant_id": "approval", "input": {"approved": False}}
    assert (await _command(http, thread_id, {"id": 2, "method": "run.start", "params": no})).json()[
        "type"
    ] == "success"
    second = await _until_terminals(http, thread_id, body, 1)
    assert second[-1].data["params"]["data"]["event"] == "completed"
    final = [r.data for r in second if r.event == "values"][-1]
    assert final["params"]["data"]["messages"][-1]["content"] == "Rejected."
