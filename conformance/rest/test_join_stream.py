"""Joining a run's stream: GET /threads/{id}/runs/{run_id}/stream, live and with Last-Event-ID."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from . import sse
from .agents import create_run, wait_for_status


async def finished_resumable_countdown(http: httpx.AsyncClient, thread_id: str) -> str:
    run = await create_run(
        http,
        thread_id,
        assistant_id="countdown",
        input={"n": 3, "delay": 0.05},
        stream_mode=["custom", "values"],
        stream_resumable=True,
    )
    await wait_for_status(http, thread_id, run["run_id"], {"success"})
    return str(run["run_id"])


async def join(
    http: httpx.AsyncClient,
    thread_id: str,
    run_id: str,
    last_event_id: str | None = None,
    **params: str,
) -> tuple[httpx.Response, sse.Stream]:
    headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else None
    return await sse.stream_request(
        http,
        "GET",
        f"/threads/{thread_id}/runs/{run_id}/stream",
        headers=headers,
        params=params or None,
    )


async def test_join_stream_answers_event_stream_with_location_headers(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await finished_resumable_countdown(http, thread_id)
    response, _ = await join(http, thread_id, run_id, last_event_id="-1")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run_id}"


async def test_join_stream_with_last_event_id_minus_1_replays_everything(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await finished_resumable_countdown(http, thread_id)
    _, stream = await join(http, thread_id, run_id, last_event_id="-1")
    assert stream.names[0] == "metadata"
    assert stream.events[0].data["run_id"] == run_id
    assert [r.data for r in stream.named("custom")] == [
        {"remaining": 3},
        {"remaining": 2},
        {"remaining": 1},
    ]
    assert len(stream.named("values")) == 2
    assert stream.closed


async def test_join_stream_after_an_id_replays_only_later_events(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await finished_resumable_countdown(http, thread_id)
    _, full = await join(http, thread_id, run_id, last_event_id="-1")
    ids = [r.id for r in full.events]
    assert all(ids), ids
    # Resume from an id that occurs once (uniqueness itself is checked by an extension test).
    cut = next(i for i in range(1, len(ids) - 1) if ids.count(ids[i]) == 1)
    _, rest = await join(http, thread_id, run_id, last_event_id=ids[cut])
    assert [r.id for r in rest.events] == ids[cut + 1 :]
    assert [r.data for r in rest.events] == [r.data for r in full.events[cut + 1 :]]


async def test_join_stream_filters_by_stream_mode(http: httpx.AsyncClient, thread_id: str) -> None:
    run_id = await finished_resumable_countdown(http, thread_id)
    _, stream = await join(http, thread_id, run_id, last_event_id="-1", stream_mode="custom")
    assert "values" not in stream.names
    assert len(stream.named("custom")) == 3


async def test_join_stream_live_sees_events_until_the_run_ends(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run = await create_run(
        http,
        thread_id,
        assistant_id="countdown",
        input={"n": 4, "delay": 0.3},
        stream_mode=["custom", "values"],
    )
    await wait_for_status(http, thread_id, run["run_id"], {"running"})
    _, stream = await join(http, thread_id, run["run_id"])
    assert stream.closed
    custom = [r.data["remaining"] for r in stream.named("custom")]
    assert custom and custom[-1] == 1
    assert custom == sorted(custom, reverse=True)
    assert stream.named("values")[-1].data["messages"][-1]["content"] == "done"
    assert (await http.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()[
        "status"
    ] == "success"


async def test_join_stream_reconnect_misses_nothing_and_repeats_nothing(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run = await create_run(
        http,
        thread_id,
        assistant_id="countdown",
        input={"n": 6, "delay": 0.2},
        stream_mode="custom",
        stream_resumable=True,
    )
    _, first = await sse.stream_request(
        http,
        "GET",
        f"/threads/{thread_id}/runs/{run['run_id']}/stream",
        headers={"Last-Event-ID": "-1"},
        stop=lambda record: record.event == "custom" and record.data == {"remaining": 4},
    )
    last_id = first.events[-1].id
    assert last_id
    _, second = await join(http, thread_id, run["run_id"], last_event_id=last_id)
    seen = [r.data["remaining"] for r in first.named("custom") + second.named("custom")]
    assert seen == [6, 5, 4, 3, 2, 1]


async def test_sdk_join_stream_with_last_event_id(
    sdk: LangGraphClient, http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await finished_resumable_countdown(http, thread_id)
    parts = [p async for p in sdk.runs.join_stream(thread_id, run_id, last_event_id="-1")]
    assert [p.data for p in parts if p.event == "custom"] == [
        {"remaining": 3},
        {"remaining": 2},
        {"remaining": 1},
    ]


async def test_join_stream_of_finished_run_ends_promptly(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await finished_resumable_countdown(http, thread_id)
    response, stream = await asyncio.wait_for(join(http, thread_id, run_id), 10)
    assert response.status_code == 200
    assert stream.closed


@pytest.mark.interop_extension
async def test_join_stream_of_unknown_run_404(http: httpx.AsyncClient, thread_id: str) -> None:
    """The reference answers 200 with an SSE `error` record instead."""
    response, _ = await join(http, thread_id, str(uuid.uuid4()))
    assert response.status_code == 404


async def test_join_stream_of_unknown_run_does_not_stream_data(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response, stream = await join(http, thread_id, str(uuid.uuid4()))
    if response.status_code == 200:
        assert stream.names == ["error"]
    else:
        assert response.status_code == 404


@pytest.mark.interop_extension
async def test_join_stream_replays_a_non_resumable_run(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    """Every event is kept, so a late reader misses nothing even without `stream_resumable`."""
    run = await create_run(
        http,
        thread_id,
        assistant_id="countdown",
        input={"n": 2, "delay": 0.05},
        stream_mode="custom",
    )
    await wait_for_status(http, thread_id, run["run_id"], {"success"})
    _, stream = await join(http, thread_id, run["run_id"], last_event_id="-1")
    assert [r.data for r in stream.named("custom")] == [{"remaining": 2}, {"remaining": 1}]
