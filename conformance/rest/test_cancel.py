"""Cancelling runs (one run, wait and action; bulk cancel) and multitask strategies."""

from __future__ import annotations

import uuid

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from .agents import (
    LONG_COUNTDOWN,
    create_run,
    get_run,
    start_long_run,
    user,
    wait_for_run_gone,
    wait_for_status,
    wait_for_thread_status,
)


async def test_cancel_without_wait_answers_202(http: httpx.AsyncClient, thread_id: str) -> None:
    run_id = await start_long_run(http, thread_id)
    response = await http.post(f"/threads/{thread_id}/runs/{run_id}/cancel", params={"wait": 0})
    assert response.status_code == 202


async def test_cancel_interrupt_ends_run_interrupted(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await start_long_run(http, thread_id)
    response = await http.post(
        f"/threads/{thread_id}/runs/{run_id}/cancel", params={"action": "interrupt"}
    )
    assert response.status_code == 202
    assert await wait_for_status(http, thread_id, run_id, {"interrupted"}) == "interrupted"


async def test_cancel_rollback_deletes_the_run(http: httpx.AsyncClient, thread_id: str) -> None:
    run_id = await start_long_run(http, thread_id)
    response = await http.post(
        f"/threads/{thread_id}/runs/{run_id}/cancel", params={"action": "rollback"}
    )
    assert response.status_code == 202
    await wait_for_run_gone(http, thread_id, run_id)
    assert await wait_for_thread_status(http, thread_id, {"idle"}) == "idle"


async def test_cancel_with_wait_returns_after_the_run_ended(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await start_long_run(http, thread_id)
    response = await http.post(
        f"/threads/{thread_id}/runs/{run_id}/cancel", params={"wait": 1, "action": "interrupt"}
    )
    assert response.status_code == 200
    assert (await get_run(http, thread_id, run_id)).json()["status"] == "interrupted"


async def test_cancel_rollback_with_wait_returns_after_the_run_is_gone(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await start_long_run(http, thread_id)
    response = await http.post(
        f"/threads/{thread_id}/runs/{run_id}/cancel", params={"wait": 1, "action": "rollback"}
    )
    assert response.status_code == 200
    assert (await get_run(http, thread_id, run_id)).status_code == 404


async def test_sdk_cancel_with_wait(
    sdk: LangGraphClient, http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await start_long_run(http, thread_id)
    await sdk.runs.cancel(thread_id, run_id, wait=True)
    assert (await sdk.runs.get(thread_id, run_id))["status"] == "interrupted"


async def test_cancel_a_pending_run(http: httpx.AsyncClient, thread_id: str) -> None:
    await start_long_run(http, thread_id)
    queued = await create_run(http, thread_id, assistant_id="echo", input=user("q"))
    assert queued["status"] == "pending"
    response = await http.post(f"/threads/{thread_id}/runs/{queued['run_id']}/cancel")
    assert response.status_code == 202
    assert (
        await wait_for_status(http, thread_id, queued["run_id"], {"interrupted"}) == "interrupted"
    )


async def test_cancel_a_finished_run_404(http: httpx.AsyncClient, thread_id: str) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("done"))
    await wait_for_status(http, thread_id, run["run_id"], {"success"})
    response = await http.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
    assert response.status_code == 404


async def test_cancel_unknown_run_404(http: httpx.AsyncClient, thread_id: str) -> None:
    response = await http.post(f"/threads/{thread_id}/runs/{uuid.uuid4()}/cancel")
    assert response.status_code == 404


async def test_bulk_cancel_by_thread_and_run_ids(http: httpx.AsyncClient, thread_id: str) -> None:
    first = await start_long_run(http, thread_id)
    second = (await create_run(http, thread_id, assistant_id="countdown", input=LONG_COUNTDOWN))[
        "run_id"
    ]
    response = await http.post(
        "/runs/cancel", json={"thread_id": thread_id, "run_ids": [first, second]}
    )
    assert response.status_code == 204
    for run_id in (first, second):
        assert await wait_for_status(http, thread_id, run_id, {"interrupted"}) == "interrupted"


async def test_bulk_cancel_with_sdk(
    sdk: LangGraphClient, http: httpx.AsyncClient, thread_id: str
) -> None:
    run_id = await start_long_run(http, thread_id)
    await sdk.runs.cancel_many(thread_id=thread_id, run_ids=[run_id])
    assert await wait_for_status(http, thread_id, run_id, {"interrupted"}) == "interrupted"


@pytest.mark.parametrize("body", [{}, {"run_ids": ["00000000-0000-0000-0000-000000000000"]}])
async def test_bulk_cancel_without_a_selector_422(
    http: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await http.post("/runs/cancel", json=body)
    assert response.status_code == 422


async def test_bulk_cancel_of_finished_runs_404(http: httpx.AsyncClient, thread_id: str) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("x"))
    await wait_for_status(http, thread_id, run["run_id"], {"success"})
    response = await http.post(
        "/runs/cancel", json={"thread_id": thread_id, "run_ids": [run["run_id"]]}
    )
    assert response.status_code == 404


async def test_multitask_reject_answers_409(http: httpx.AsyncClient, thread_id: str) -> None:
    first = await start_long_run(http, thread_id)
    body = {"assistant_id": "echo", "input": user("x"), "multitask_strategy": "reject"}
    for suffix in ("", "/wait", "/stream"):
        response = await http.post(f"/threads/{thread_id}/runs{suffix}", json=body)
        assert response.status_code == 409, suffix
        assert "detail" in response.json()
    assert (await get_run(http, thread_id, first)).json()["status"] == "running"


async def test_multitask_interrupt_interrupts_the_running_run(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    first = await start_long_run(http, thread_id)
    second = await create_run(
        http, thread_id, assistant_id="echo", input=user("x"), multitask_strategy="interrupt"
    )
    assert await wait_for_status(http, thread_id, second["run_id"], {"success"}) == "success"
    assert (await get_run(http, thread_id, first)).json()["status"] == "interrupted"


async def test_multitask_rollback_deletes_the_running_run(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    first = await start_long_run(http, thread_id)
    second = await create_run(
        http, thread_id, assistant_id="echo", input=user("x"), multitask_strategy="rollback"
    )
    assert await wait_for_status(http, thread_id, second["run_id"], {"success"}) == "success"
    assert (await get_run(http, thread_id, first)).status_code == 404


async def test_multitask_enqueue_runs_after_the_running_run(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    first = (
        await create_run(http, thread_id, assistant_id="countdown", input={"n": 3, "delay": 0.3})
    )["run_id"]
    await wait_for_status(http, thread_id, first, {"running"})
    second = await create_run(
        http, thread_id, assistant_id="echo", input=user("next"), multitask_strategy="enqueue"
    )
    assert (await get_run(http, thread_id, second["run_id"])).json()["status"] == "pending"
    await wait_for_status(http, thread_id, second["run_id"], {"success"})
    first_run = (await get_run(http, thread_id, first)).json()
    second_run = (await get_run(http, thread_id, second["run_id"])).json()
    assert first_run["status"] == "success"
    assert first_run["updated_at"] <= second_run["updated_at"]
