"""A thread's stream: GET /threads/{id}/stream delivers every run's events, then `run_done`."""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from . import sse
from .agents import create_run, user

ID_PATTERN = re.compile(r"^\d+-\d+$")


def is_run_done(record: sse.Record) -> bool:
    return (
        record.event == "metadata"
        and isinstance(record.data, dict)
        and record.data.get("status") == "run_done"
    )


@asynccontextmanager
async def thread_stream(
    http: httpx.AsyncClient,
    thread_id: str,
    stop: Callable[[sse.Record], bool] = is_run_done,
    **params: str,
) -> AsyncIterator[tuple[httpx.Response, asyncio.Task[sse.Stream]]]:
    """Open the thread stream; yield (response, reader task) once the headers arrived."""
    request = http.build_request("GET", f"/threads/{thread_id}/stream", params=params or None)
    response = await http.send(request, stream=True)
    task = asyncio.create_task(sse.read(response, within=30, stop=stop))
    try:
        yield response, task
    finally:
        task.cancel()
        await response.aclose()


async def test_thread_stream_answers_event_stream(http: httpx.AsyncClient, thread_id: str) -> None:
    async with thread_stream(http, thread_id) as (response, _):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")


async def test_thread_stream_delivers_a_run_then_run_done(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    async with thread_stream(http, thread_id) as (_, reader):
        run = await create_run(
            http,
            thread_id,
            assistant_id="countdown",
            input={"n": 2, "delay": 0.05},
            stream_mode=["custom", "values"],
        )
        stream = await reader
    events = stream.events
    assert events[0].event == "metadata"
    assert events[0].data["run_id"] == run["run_id"]
    assert [r.data for r in stream.named("custom")] == [{"remaining": 2}, {"remaining": 1}]
    assert events[-1].data == {"status": "run_done", "run_id": run["run_id"]}


async def test_thread_stream_follows_consecutive_runs(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    done: list[str] = []

    def second_run_done(record: sse.Record) -> bool:
        if is_run_done(record):
            done.append(record.data["run_id"])
        return len(done) == 2

    async with thread_stream(http, thread_id, stop=second_run_done) as (_, reader):
        first = await create_run(http, thread_id, assistant_id="echo", input=user("one"))
        second = await create_run(http, thread_id, assistant_id="echo", input=user("two"))
        stream = await reader
    assert done == [first["run_id"], second["run_id"]]
    starts = [r.data["run_id"] for r in stream.named("metadata") if "attempt" in r.data]
    assert starts == [first["run_id"], second["run_id"]]


async def test_thread_stream_records_carry_ids(http: httpx.AsyncClient, thread_id: str) -> None:
    async with thread_stream(http, thread_id) as (_, reader):
        await create_run(http, thread_id, assistant_id="echo", input=user("ids"))
        stream = await reader
    for record in stream.events:
        assert record.id is not None and ID_PATTERN.match(record.id), record


@pytest.mark.interop_extension
async def test_thread_stream_ids_strictly_increase(http: httpx.AsyncClient, thread_id: str) -> None:
    async with thread_stream(http, thread_id) as (_, reader):
        await create_run(
            http,
            thread_id,
            assistant_id="echo",
            input=user("a few tokens in the same millisecond"),
            stream_mode=["messages-tuple", "values", "updates"],
        )
        stream = await reader
    ids = [tuple(int(p) for p in r.id.split("-")) for r in stream.events if r.id]
    assert all(a < b for a, b in itertools.pairwise(ids)), ids


@pytest.mark.interop_extension
async def test_thread_stream_of_unknown_thread_404(http: httpx.AsyncClient) -> None:
    """The reference answers 200 and sends heartbeats forever."""
    request = http.build_request("GET", f"/threads/{uuid.uuid4()}/stream")
    response = await http.send(request, stream=True)
    try:
        assert response.status_code == 404
    finally:
        await response.aclose()


@pytest.mark.interop_extension
async def test_thread_stream_resumes_after_last_event_id(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    """Reconnecting with Last-Event-ID replays what came after that id (the reference replays nothing)."""
    async with thread_stream(http, thread_id) as (_, reader):
        await create_run(
            http,
            thread_id,
            assistant_id="countdown",
            input={"n": 3, "delay": 0.05},
            stream_mode="custom",
        )
        first = await reader
    ids = [r.id for r in first.events]
    assert all(ids)
    request = http.build_request(
        "GET", f"/threads/{thread_id}/stream", headers={"Last-Event-ID": str(ids[1])}
    )
    response = await http.send(request, stream=True)
    try:
        again = await sse.read(response, within=10, stop=is_run_done)
    finally:
        await response.aclose()
    assert [r.id for r in again.events] == ids[2:]
