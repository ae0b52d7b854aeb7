"""Stateless runs: POST /runs, /runs/stream, /runs/wait, /runs/batch; on_completion."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from langgraph_sdk.client import LangGraphClient

from .support import (
    COUNTDOWN,
    ECHO,
    TIMEOUT,
    countdown_input,
    eventually,
    message_texts,
    read_sse,
    run_status,
    user_message,
)


async def http_status(call: Any) -> int:
    try:
        await call
    except httpx.HTTPStatusError as exc:
        return exc.response.status_code
    return 200


async def test_wait(client: LangGraphClient) -> None:
    result = await client.runs.wait(None, ECHO, input=user_message("stateless"))
    assert message_texts(result) == [("human", "stateless"), ("ai", "stateless")]


async def test_wait_headers(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/runs/wait", json={"assistant_id": ECHO, "input": user_message("hdr")}
    )
    assert response.status_code == 200
    assert message_texts(response.json())[-1] == ("ai", "hdr")
    content_location = response.headers["content-location"]
    assert content_location.startswith("/threads/")
    assert response.headers["location"] == content_location + "/join"


async def test_wait_failure_is_200_with_error(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/runs/wait", json={"assistant_id": COUNTDOWN, "input": {"n": "abc"}}
    )
    assert response.status_code == 200
    assert response.json()["__error__"]["error"] == "ValueError"


async def test_stream(client: LangGraphClient) -> None:
    parts: list[tuple[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        async for part in client.runs.stream(
            None, COUNTDOWN, input=countdown_input(2, 0.01), stream_mode="custom"
        ):
            parts.append((part.event, part.data))
    assert [e for e, _ in parts] == ["metadata", "custom", "custom"]


async def test_stream_headers(http: httpx.AsyncClient) -> None:
    response, records, _ = await read_sse(
        http, "POST", "/runs/stream", json={"assistant_id": ECHO, "input": user_message("x")}
    )
    assert response.status_code == 200
    run_id = records[0].data["run_id"]
    assert response.headers["content-location"].endswith(f"/runs/{run_id}")
    assert response.headers["location"].endswith(f"/runs/{run_id}/stream")


async def test_background_run_is_deleted_on_completion(client: LangGraphClient) -> None:
    run = await client.runs.create(None, COUNTDOWN, input=countdown_input(1, 0.01))
    assert run["kwargs"]["temporary"] is True
    thread_id = run["thread_id"]

    await eventually(
        lambda: http_status(client.threads.get(thread_id)),
        lambda code: code == 404,
        what="temporary thread deleted",
    )
    await eventually(
        lambda: http_status(client.runs.get(thread_id, run["run_id"])),
        lambda code: code == 404,
        what="temporary run deleted",
    )


async def test_on_completion_keep(client: LangGraphClient) -> None:
    run = await client.runs.create(None, ECHO, input=user_message("keep me"), on_completion="keep")
    assert run["kwargs"]["temporary"] is False
    done = await run_status(client, run["thread_id"], run["run_id"])
    assert done["status"] == "success"
    thread = await client.threads.get(run["thread_id"])
    assert message_texts(thread["values"]) == [("human", "keep me"), ("ai", "keep me")]


async def test_stateless_wait_leaves_no_thread(
    client: LangGraphClient, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        "/runs/wait", json={"assistant_id": ECHO, "input": user_message("gone")}
    )
    thread_id = response.headers["content-location"].split("/")[2]
    await eventually(
        lambda: http_status(client.threads.get(thread_id)),
        lambda code: code == 404,
        what="temporary thread deleted",
    )


async def test_batch(client: LangGraphClient) -> None:
    runs = await client.runs.create_batch(
        [
            {"assistant_id": ECHO, "input": user_message("one"), "on_completion": "keep"},
            {"assistant_id": COUNTDOWN, "input": countdown_input(1, 0.01), "on_completion": "keep"},
        ]
    )
    assert len(runs) == 2
    assert len({r["run_id"] for r in runs}) == 2
    assert len({r["thread_id"] for r in runs}) == 2
    for run in runs:
        assert (await run_status(client, run["thread_id"], run["run_id"]))["status"] == "success"
    thread = await client.threads.get(runs[0]["thread_id"])
    assert message_texts(thread["values"])[-1] == ("ai", "one")


async def test_batch_bad_bodies(http: httpx.AsyncClient) -> None:
    assert (await http.post("/runs/batch", json=[])).status_code == 422
    assert (await http.post("/runs/batch", json={"assistant_id": ECHO})).status_code == 422
    assert (await http.post("/runs/batch", json=[{"assistant_id": "nope"}])).status_code == 422
    assert (await http.post("/runs/batch", json=[{"input": {}}])).status_code == 422
