"""Threads: create/if_exists, get, patch, delete, search, count, copy, prune, status."""

from __future__ import annotations

import uuid

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from .agents import (
    FAILING_COUNTDOWN,
    cleanup_thread,
    create_thread,
    start_long_run,
    user,
    wait_for_thread_status,
)


async def test_create_thread_is_idle_with_metadata(sdk: LangGraphClient) -> None:
    thread = await sdk.threads.create(metadata={"k": "v"})
    assert thread["status"] == "idle"
    assert thread["metadata"] == {"k": "v"}
    uuid.UUID(thread["thread_id"])
    for key in ("created_at", "updated_at"):
        assert thread[key]


async def test_create_thread_with_given_id(sdk: LangGraphClient) -> None:
    tid = str(uuid.uuid4())
    thread = await sdk.threads.create(thread_id=tid)
    assert thread["thread_id"] == tid
    assert (await sdk.threads.get(tid))["thread_id"] == tid


@pytest.mark.parametrize("if_exists", [None, "raise"])
async def test_create_existing_thread_conflicts_409(
    http: httpx.AsyncClient, thread_id: str, if_exists: str | None
) -> None:
    body = {"thread_id": thread_id} | ({"if_exists": if_exists} if if_exists else {})
    response = await http.post("/threads", json=body)
    assert response.status_code == 409
    assert "detail" in response.json()


async def test_create_thread_if_exists_do_nothing_returns_existing(
    http: httpx.AsyncClient,
) -> None:
    tid = await create_thread(http, thread_id=str(uuid.uuid4()), metadata={"a": 1})
    response = await http.post(
        "/threads", json={"thread_id": tid, "if_exists": "do_nothing", "metadata": {"b": 2}}
    )
    assert response.status_code == 200
    assert response.json()["thread_id"] == tid
    assert response.json()["metadata"] == {"a": 1}


async def test_create_thread_with_supersteps_seeds_state(sdk: LangGraphClient) -> None:
    thread = await sdk.threads.create(
        graph_id="echo",
        supersteps=[
            {"updates": [{"values": user("seeded"), "as_node": "__start__"}]},
        ],
    )
    state = await sdk.threads.get_state(thread["thread_id"])
    assert [m["content"] for m in state["values"]["messages"]] == ["seeded"]


async def test_create_thread_with_malformed_id_is_rejected(http: httpx.AsyncClient) -> None:
    response = await http.post("/threads", json={"thread_id": "not-a-uuid"})
    assert response.status_code == 422


async def test_get_thread(sdk: LangGraphClient, thread_id: str) -> None:
    thread = await sdk.threads.get(thread_id)
    assert thread["thread_id"] == thread_id
    assert thread["status"] == "idle"


async def test_get_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/threads/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "detail" in response.json()


async def test_patch_thread_merges_metadata(sdk: LangGraphClient) -> None:
    thread = await sdk.threads.create(metadata={"a": 1})
    updated = await sdk.threads.update(thread["thread_id"], metadata={"b": 2})
    assert updated["metadata"] == {"a": 1, "b": 2}
    assert (await sdk.threads.get(thread["thread_id"]))["metadata"] == {"a": 1, "b": 2}


async def test_patch_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.patch(f"/threads/{uuid.uuid4()}", json={"metadata": {}})
    assert response.status_code == 404


async def test_delete_thread_then_get_404(http: httpx.AsyncClient) -> None:
    tid = await create_thread(http)
    response = await http.delete(f"/threads/{tid}")
    assert response.status_code == 204
    assert (await http.get(f"/threads/{tid}")).status_code == 404


async def test_delete_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.delete(f"/threads/{uuid.uuid4()}")
    assert response.status_code == 404


async def test_search_threads_by_metadata(sdk: LangGraphClient) -> None:
    tag = uuid.uuid4().hex
    ids = {(await sdk.threads.create(metadata={"tag": tag}))["thread_id"] for _ in range(3)}
    found = await sdk.threads.search(metadata={"tag": tag})
    assert {t["thread_id"] for t in found} == ids


async def test_search_threads_limit_offset(sdk: LangGraphClient) -> None:
    tag = uuid.uuid4().hex
    ids = {(await sdk.threads.create(metadata={"tag": tag}))["thread_id"] for _ in range(3)}
    page1 = await sdk.threads.search(metadata={"tag": tag}, limit=2, offset=0)
    page2 = await sdk.threads.search(metadata={"tag": tag}, limit=2, offset=2)
    assert len(page1) == 2
    assert len(page2) == 1
    assert {t["thread_id"] for t in page1 + page2} == ids


async def test_search_threads_by_status(http: httpx.AsyncClient, sdk: LangGraphClient) -> None:
    tag = uuid.uuid4().hex
    idle = await sdk.threads.create(metadata={"tag": tag})
    busy = await sdk.threads.create(metadata={"tag": tag})
    await start_long_run(http, busy["thread_id"])
    found = await sdk.threads.search(metadata={"tag": tag}, status="busy")
    assert [t["thread_id"] for t in found] == [busy["thread_id"]]
    found = await sdk.threads.search(metadata={"tag": tag}, status="idle")
    assert [t["thread_id"] for t in found] == [idle["thread_id"]]
    await cleanup_thread(http, busy["thread_id"])


async def test_search_threads_reports_pagination_total_header(http: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex
    for _ in range(2):
        await create_thread(http, metadata={"tag": tag})
    response = await http.post("/threads/search", json={"metadata": {"tag": tag}})
    assert response.status_code == 200
    assert response.headers["x-pagination-total"] == "2"


async def test_count_threads_by_metadata(sdk: LangGraphClient) -> None:
    tag = uuid.uuid4().hex
    for _ in range(2):
        await sdk.threads.create(metadata={"tag": tag})
    assert await sdk.threads.count(metadata={"tag": tag}) == 2


async def test_copy_thread_copies_state_and_history(
    http: httpx.AsyncClient, sdk: LangGraphClient, thread_id: str
) -> None:
    await sdk.runs.wait(thread_id, "echo", input=user("copy me"))
    response = await http.post(f"/threads/{thread_id}/copy")
    assert response.status_code == 200
    copy_id = response.json()["thread_id"]
    assert copy_id != thread_id
    original = await sdk.threads.get_state(thread_id)
    copied = await sdk.threads.get_state(copy_id)
    assert copied["values"] == original["values"]
    assert len(await sdk.threads.get_history(copy_id, limit=50)) == len(
        await sdk.threads.get_history(thread_id, limit=50)
    )


@pytest.mark.interop_extension
async def test_copy_unknown_thread_404(http: httpx.AsyncClient) -> None:
    """Unknown ids are 404 everywhere (the reference answers 409 here)."""
    response = await http.post(f"/threads/{uuid.uuid4()}/copy")
    assert response.status_code == 404


async def test_prune_deletes_threads(sdk: LangGraphClient, http: httpx.AsyncClient) -> None:
    tids = [await create_thread(http) for _ in range(2)]
    result = await sdk.threads.prune(tids)
    assert result["pruned_count"] == 2
    for tid in tids:
        assert (await http.get(f"/threads/{tid}")).status_code == 404


async def test_prune_invalid_strategy_422(http: httpx.AsyncClient, thread_id: str) -> None:
    response = await http.post(
        "/threads/prune", json={"thread_ids": [thread_id], "strategy": "bogus"}
    )
    assert response.status_code == 422


async def test_thread_is_busy_while_a_run_runs(http: httpx.AsyncClient, thread_id: str) -> None:
    await start_long_run(http, thread_id)
    assert (await http.get(f"/threads/{thread_id}")).json()["status"] == "busy"


async def test_thread_is_idle_after_a_successful_run(sdk: LangGraphClient, thread_id: str) -> None:
    await sdk.runs.wait(thread_id, "echo", input=user("hi"))
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "idle"
    assert thread["values"]["messages"][-1]["content"] == "hi"


async def test_thread_is_error_after_a_failed_run(
    http: httpx.AsyncClient, sdk: LangGraphClient, thread_id: str
) -> None:
    await sdk.runs.wait(thread_id, "countdown", input=FAILING_COUNTDOWN, raise_error=False)
    assert await wait_for_thread_status(http, thread_id, {"error"}) == "error"


async def test_thread_is_interrupted_after_interrupt_with_interrupts_map(
    sdk: LangGraphClient, thread_id: str
) -> None:
    await sdk.runs.wait(thread_id, "approval", input=user("buy"))
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "interrupted"
    interrupts = thread["interrupts"]
    assert isinstance(interrupts, dict) and len(interrupts) == 1
    (task_interrupts,) = interrupts.values()
    assert len(task_interrupts) == 1
    assert task_interrupts[0]["value"]["question"] == "Approve this request? buy"
    assert isinstance(task_interrupts[0]["id"], str) and task_interrupts[0]["id"]


async def test_thread_returns_to_idle_after_resume(sdk: LangGraphClient, thread_id: str) -> None:
    await sdk.runs.wait(thread_id, "approval", input=user("buy"))
    await sdk.runs.wait(thread_id, "approval", command={"resume": {"approved": True}})
    thread = await sdk.threads.get(thread_id)
    assert thread["status"] == "idle"
    assert thread["interrupts"] == {}
