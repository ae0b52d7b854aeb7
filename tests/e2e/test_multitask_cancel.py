"""A second run on a busy thread (each multitask_strategy) and cancelling runs."""

from __future__ import annotations

import uuid

import httpx
from langgraph_sdk.client import LangGraphClient

from .support import (
    COUNTDOWN,
    countdown_input,
    eventually,
    new_thread,
    run_status,
    start_long_run,
    status_of,
    thread_status,
)

SHORT = countdown_input(1, 0.01)


async def test_reject(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(client)
    first = await start_long_run(client, thread_id)
    assert (
        await status_of(
            client.runs.create(thread_id, COUNTDOWN, input=SHORT, multitask_strategy="reject")
        )
        == 409
    )
    assert (
        await status_of(
            client.runs.wait(thread_id, COUNTDOWN, input=SHORT, multitask_strategy="reject")
        )
        == 409
    )
    # /runs/stream answers 409 before any SSE.
    response = await http.post(
        f"/threads/{thread_id}/runs/stream",
        json={"assistant_id": COUNTDOWN, "input": SHORT, "multitask_strategy": "reject"},
    )
    assert response.status_code == 409
    assert "detail" in response.json()

    assert (await client.runs.get(thread_id, first["run_id"]))["status"] == "running"
    assert [r["run_id"] for r in await client.runs.list(thread_id)] == [first["run_id"]]
    await client.runs.cancel(thread_id, first["run_id"], wait=True)


async def test_interrupt(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    first = await start_long_run(client, thread_id)
    second = await client.runs.create(
        thread_id, COUNTDOWN, input=SHORT, multitask_strategy="interrupt"
    )
    assert second["multitask_strategy"] == "interrupt"
    await client.runs.join(thread_id, second["run_id"])
    assert (await client.runs.get(thread_id, second["run_id"]))["status"] == "success"
    assert (await client.runs.get(thread_id, first["run_id"]))["status"] == "interrupted"
    listed = {r["run_id"] for r in await client.runs.list(thread_id)}
    assert listed == {first["run_id"], second["run_id"]}
    assert (await thread_status(client, thread_id, ["idle"]))["status"] == "idle"


async def test_rollback(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    first = await start_long_run(client, thread_id)
    second = await client.runs.create(
        thread_id, COUNTDOWN, input=SHORT, multitask_strategy="rollback"
    )
    await client.runs.join(thread_id, second["run_id"])
    assert (await client.runs.get(thread_id, second["run_id"]))["status"] == "success"
    assert await status_of(client.runs.get(thread_id, first["run_id"])) == 404
    assert [r["run_id"] for r in await client.runs.list(thread_id)] == [second["run_id"]]
    # Nothing of the rolled-back run is left in the thread's state: one input, one "done".
    state = await client.threads.get_state(thread_id)
    assert [m["content"] for m in state["values"]["messages"]] == ["done"]
    assert (await thread_status(client, thread_id, ["idle"]))["status"] == "idle"


async def test_enqueue_is_the_default(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    first = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(8, 0.2))
    await run_status(client, thread_id, first["run_id"], {"running"})
    second = await client.runs.create(thread_id, COUNTDOWN, input=SHORT)
    assert second["multitask_strategy"] == "enqueue"
    assert (await client.runs.get(thread_id, second["run_id"]))["status"] == "pending"
    assert (await client.runs.get(thread_id, first["run_id"]))["status"] == "running"
    await client.runs.join(thread_id, second["run_id"])
    first_done = await client.runs.get(thread_id, first["run_id"])
    second_done = await client.runs.get(thread_id, second["run_id"])
    assert first_done["status"] == "success"
    assert second_done["status"] == "success"
    # Both ran, one after the other: two "done" messages.
    state = await client.threads.get_state(thread_id)
    assert [m["content"] for m in state["values"]["messages"]] == ["done", "done"]
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_enqueued_runs_keep_order(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    first = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(2, 0.2))
    ids = [first["run_id"]]
    for n in (1, 2, 3):
        run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(n, 0.01))
        ids.append(run["run_id"])
    await client.runs.join(thread_id, ids[-1])
    runs = await client.runs.list(thread_id)
    assert [r["run_id"] for r in runs] == list(reversed(ids))
    assert all(r["status"] == "success" for r in runs)
    # The thread was busy throughout and is idle at the end.
    assert (await client.threads.get(thread_id))["status"] == "idle"


# -- cancel ----------------------------------------------------------------------------------


async def test_cancel_interrupt_no_wait(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(client)
    run = await start_long_run(client, thread_id)
    response = await http.post(
        f"/threads/{thread_id}/runs/{run['run_id']}/cancel",
        params={"wait": 0, "action": "interrupt"},
    )
    assert response.status_code == 202
    done = await run_status(client, thread_id, run["run_id"])
    assert done["status"] == "interrupted"
    thread = await thread_status(client, thread_id, ["interrupted", "idle"])
    assert thread["status"] != "busy"


async def test_cancel_interrupt_wait(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(client)
    run = await start_long_run(client, thread_id)
    response = await http.post(
        f"/threads/{thread_id}/runs/{run['run_id']}/cancel",
        params={"wait": 1, "action": "interrupt"},
    )
    assert response.status_code == 200
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run['run_id']}"
    # With wait, the run has ended by the time the answer arrives.
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "interrupted"
    assert (await client.threads.get(thread_id))["status"] in ("interrupted", "idle")


async def test_cancel_through_the_sdk(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await start_long_run(client, thread_id)
    await client.runs.cancel(thread_id, run["run_id"])
    assert (await run_status(client, thread_id, run["run_id"]))["status"] == "interrupted"

    run = await start_long_run(client, thread_id)
    await client.runs.cancel(thread_id, run["run_id"], wait=True)
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "interrupted"


async def test_cancel_rollback(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    await client.runs.wait(thread_id, COUNTDOWN, input=SHORT)
    before = await client.threads.get_state(thread_id)
    run = await start_long_run(client, thread_id)
    await client.runs.cancel(thread_id, run["run_id"], wait=True, action="rollback")
    assert await status_of(client.runs.get(thread_id, run["run_id"])) == 404
    thread = await thread_status(client, thread_id, ["idle"])
    assert thread["status"] == "idle"
    after = await client.threads.get_state(thread_id)
    assert after["checkpoint"]["checkpoint_id"] == before["checkpoint"]["checkpoint_id"]


async def test_cancel_rollback_no_wait(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await start_long_run(client, thread_id)
    await client.runs.cancel(thread_id, run["run_id"], action="rollback")

    async def gone() -> int:
        try:
            await client.runs.get(thread_id, run["run_id"])
        except httpx.HTTPStatusError as exc:
            return exc.response.status_code
        return 200

    assert await eventually(gone, lambda code: code == 404, what="rolled-back run deleted") == 404
    await thread_status(client, thread_id, ["idle"])


async def test_cancel_a_pending_run(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    first = await start_long_run(client, thread_id)
    queued = await client.runs.create(thread_id, COUNTDOWN, input=SHORT)
    await client.runs.cancel(thread_id, queued["run_id"])
    assert (await run_status(client, thread_id, queued["run_id"]))["status"] == "interrupted"
    assert (await client.runs.get(thread_id, first["run_id"]))["status"] == "running"
    await client.runs.cancel(thread_id, first["run_id"], wait=True)
    thread = await thread_status(client, thread_id, ["idle", "interrupted"])
    assert thread["status"] != "busy"


async def test_cancel_a_finished_or_unknown_run_is_404(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, COUNTDOWN, input=SHORT)
    await client.runs.join(thread_id, run["run_id"])
    assert await status_of(client.runs.cancel(thread_id, run["run_id"])) == 404
    assert await status_of(client.runs.cancel(thread_id, run["run_id"], wait=True)) == 404
    assert await status_of(client.runs.cancel(thread_id, str(uuid.uuid4()))) == 404


async def test_cancel_many_by_ids(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    first = await start_long_run(client, thread_id)
    queued = await client.runs.create(thread_id, COUNTDOWN, input=SHORT)
    await client.runs.cancel_many(thread_id=thread_id, run_ids=[first["run_id"], queued["run_id"]])
    for run in (first, queued):
        assert (await run_status(client, thread_id, run["run_id"]))["status"] == "interrupted"
    thread = await thread_status(client, thread_id, ["idle", "interrupted"])
    assert thread["status"] != "busy"


async def test_cancel_many_by_status(client: LangGraphClient) -> None:
    threads = [await new_thread(client) for _ in range(2)]
    runs = [await start_long_run(client, t) for t in threads]
    await client.runs.cancel_many(status="running")
    for thread_id, run in zip(threads, runs, strict=True):
        assert (await run_status(client, thread_id, run["run_id"]))["status"] == "interrupted"


async def test_cancel_many_rollback(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await start_long_run(client, thread_id)
    await client.runs.cancel_many(thread_id=thread_id, run_ids=[run["run_id"]], action="rollback")

    async def gone() -> int:
        try:
            await client.runs.get(thread_id, run["run_id"])
        except httpx.HTTPStatusError as exc:
            return exc.response.status_code
        return 200

    assert await eventually(gone, lambda code: code == 404, what="rolled-back run deleted") == 404


async def test_cancel_many_bad_bodies(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    for body in ({}, {"run_ids": [str(uuid.uuid4())]}, {"status": "bogus"}):
        response = await http.post("/runs/cancel", json=body)
        assert response.status_code == 422, body
    response = await http.post("/runs/cancel", json={"thread_id": thread_id})
    assert response.status_code in (204, 404, 422)  # reference: 422 (oneOf); never a 500
