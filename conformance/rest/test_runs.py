"""Runs on a thread: create, get, list, delete, join, wait, interrupts and resume, Command."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from .agents import (
    FAILING_COUNTDOWN,
    SYSTEM_ASSISTANT_NAMESPACE,
    create_run,
    last_message,
    start_long_run,
    user,
    wait_for_status,
    wait_for_thread_status,
)

RUN_KEYS = {
    "run_id",
    "thread_id",
    "assistant_id",
    "status",
    "metadata",
    "kwargs",
    "multitask_strategy",
    "created_at",
    "updated_at",
}


async def test_create_run_answers_200_pending_with_content_location(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs", json={"assistant_id": "echo", "input": user("hi")}
    )
    assert response.status_code == 200
    run = response.json()
    assert set(run) >= RUN_KEYS
    assert run["thread_id"] == thread_id
    assert run["status"] in ("pending", "running")
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run['run_id']}"


async def test_create_run_resolves_graph_name_to_system_assistant(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("hi"))
    assert run["assistant_id"] == str(uuid.uuid5(SYSTEM_ASSISTANT_NAMESPACE, "echo"))


async def test_default_multitask_strategy_is_enqueue(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("hi"))
    assert run["multitask_strategy"] == "enqueue"


async def test_background_run_reaches_success(
    http: httpx.AsyncClient, sdk: LangGraphClient, thread_id: str
) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("bg"))
    assert await wait_for_status(http, thread_id, run["run_id"], {"success"}) == "success"
    state = await sdk.threads.get_state(thread_id)
    assert last_message(state["values"])["content"] == "bg"


async def test_get_run(sdk: LangGraphClient, http: httpx.AsyncClient, thread_id: str) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("x"))
    got = await sdk.runs.get(thread_id, run["run_id"])
    assert got["run_id"] == run["run_id"]
    assert got["thread_id"] == thread_id


async def test_get_unknown_run_404(http: httpx.AsyncClient, thread_id: str) -> None:
    response = await http.get(f"/threads/{thread_id}/runs/{uuid.uuid4()}")
    assert response.status_code == 404


async def test_list_runs_newest_first(sdk: LangGraphClient, thread_id: str) -> None:
    ids = []
    for text in ("a", "b", "c"):
        await sdk.runs.wait(thread_id, "echo", input=user(text))
        ids.append((await sdk.runs.list(thread_id, limit=1))[0]["run_id"])
    runs = await sdk.runs.list(thread_id)
    assert [r["run_id"] for r in runs] == list(reversed(ids))


async def test_list_runs_limit_offset(sdk: LangGraphClient, thread_id: str) -> None:
    for text in ("a", "b", "c"):
        await sdk.runs.wait(thread_id, "echo", input=user(text))
    everything = await sdk.runs.list(thread_id)
    page = await sdk.runs.list(thread_id, limit=1, offset=1)
    assert [r["run_id"] for r in page] == [everything[1]["run_id"]]


async def test_list_runs_filters_by_status(
    http: httpx.AsyncClient, sdk: LangGraphClient, thread_id: str
) -> None:
    await sdk.runs.wait(thread_id, "echo", input=user("a"))
    running = await start_long_run(http, thread_id)
    assert [r["run_id"] for r in await sdk.runs.list(thread_id, status="running")] == [running]
    assert len(await sdk.runs.list(thread_id, status="success")) == 1


async def test_list_runs_of_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/threads/{uuid.uuid4()}/runs")
    assert response.status_code == 404


async def test_delete_run_then_get_404(
    sdk: LangGraphClient, http: httpx.AsyncClient, thread_id: str
) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("x"))
    await wait_for_status(http, thread_id, run["run_id"], {"success"})
    response = await http.delete(f"/threads/{thread_id}/runs/{run['run_id']}")
    assert response.status_code == 204
    assert (await http.get(f"/threads/{thread_id}/runs/{run['run_id']}")).status_code == 404


async def test_delete_unknown_run_404(http: httpx.AsyncClient, thread_id: str) -> None:
    response = await http.delete(f"/threads/{thread_id}/runs/{uuid.uuid4()}")
    assert response.status_code == 404


async def test_join_returns_final_values(
    http: httpx.AsyncClient, sdk: LangGraphClient, thread_id: str
) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("joined"))
    values = await sdk.runs.join(thread_id, run["run_id"])
    assert last_message(values)["content"] == "joined"
    assert last_message(values)["type"] == "ai"


async def test_join_of_finished_run_returns_final_values(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    run = await create_run(http, thread_id, assistant_id="echo", input=user("late"))
    await wait_for_status(http, thread_id, run["run_id"], {"success"})
    response = await http.get(f"/threads/{thread_id}/runs/{run['run_id']}/join")
    assert response.status_code == 200
    assert last_message(response.json())["content"] == "late"


async def test_wait_returns_final_values_with_location_headers(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "echo", "input": user("w")}
    )
    assert response.status_code == 200
    values = response.json()
    assert [m["content"] for m in values["messages"]] == ["w", "w"]
    content_location = response.headers["content-location"]
    assert content_location.startswith(f"/threads/{thread_id}/runs/")
    run_id = content_location.rsplit("/", 1)[1]
    assert response.headers["location"] == f"/threads/{thread_id}/runs/{run_id}/join"
    assert (await http.get(content_location)).json()["status"] == "success"


async def test_wait_after_interrupt_includes_interrupt_list(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "approval", "input": user("buy")}
    )
    assert response.status_code == 200
    body = response.json()
    (interrupt,) = body["__interrupt__"]
    assert interrupt["value"]["question"] == "Approve this request? buy"
    assert interrupt["id"]
    assert [m["content"] for m in body["messages"]] == ["buy"]


async def test_wait_after_failure_answers_200_with_error(
    http: httpx.AsyncClient, thread_id: str
) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "countdown", "input": FAILING_COUNTDOWN},
    )
    assert response.status_code == 200
    error = response.json()["__error__"]
    assert error["error"] == "ValueError"
    assert isinstance(error["message"], str)


async def test_failed_run_has_status_error(http: httpx.AsyncClient, thread_id: str) -> None:
    run = await create_run(http, thread_id, assistant_id="countdown", input=FAILING_COUNTDOWN)
    assert await wait_for_status(http, thread_id, run["run_id"], {"error"}) == "error"


async def test_interrupted_graph_run_ends_success(http: httpx.AsyncClient, thread_id: str) -> None:
    run = await create_run(http, thread_id, assistant_id="approval", input=user("buy"))
    assert await wait_for_status(http, thread_id, run["run_id"], {"success"}) == "success"
    assert await wait_for_thread_status(http, thread_id, {"interrupted"}) == "interrupted"


@pytest.mark.parametrize(
    ("resume", "reply"),
    [
        ({"approved": True}, "Approved."),
        ({"approved": False}, "Rejected."),
        ("ship it", "Answer received: ship it"),
    ],
)
async def test_resume_with_command_completes_the_interrupt(
    sdk: LangGraphClient, thread_id: str, resume: object, reply: str
) -> None:
    await sdk.runs.wait(thread_id, "approval", input=user("buy"))
    values = await sdk.runs.wait(thread_id, "approval", command={"resume": resume})
    assert isinstance(values, dict)
    assert "__interrupt__" not in values
    assert last_message(values)["content"] == reply
    assert (await sdk.threads.get_state(thread_id))["next"] == []


async def test_command_update_and_goto(sdk: LangGraphClient, thread_id: str) -> None:
    values = await sdk.runs.wait(
        thread_id,
        "echo",
        command={"update": user("via update"), "goto": "respond"},
    )
    assert isinstance(values, dict)
    assert "via update" in [m["content"] for m in values["messages"] if m["type"] == "human"]
    last = last_message(values)
    assert (last["type"], last["content"]) == ("ai", "via update")


async def test_run_metadata_is_kept(http: httpx.AsyncClient, thread_id: str) -> None:
    run = await create_run(
        http, thread_id, assistant_id="echo", input=user("m"), metadata={"trace": "abc"}
    )
    assert run["metadata"]["trace"] == "abc"


async def test_if_not_exists_default_rejects_unknown_thread_404(http: httpx.AsyncClient) -> None:
    tid = str(uuid.uuid4())
    for suffix in ("", "/wait", "/stream"):
        response = await http.post(
            f"/threads/{tid}/runs{suffix}", json={"assistant_id": "echo", "input": user("x")}
        )
        assert response.status_code == 404, suffix
    assert (await http.get(f"/threads/{tid}")).status_code == 404


async def test_if_not_exists_create_creates_the_thread(
    http: httpx.AsyncClient, sdk: LangGraphClient
) -> None:
    tid = str(uuid.uuid4())
    values = await sdk.runs.wait(tid, "echo", input=user("x"), if_not_exists="create")
    assert isinstance(values, dict)
    assert last_message(values)["content"] == "x"
    thread = await sdk.threads.get(tid)
    assert thread["status"] == "idle"


async def test_after_seconds_delays_the_start(http: httpx.AsyncClient, thread_id: str) -> None:
    started = time.monotonic()
    run = await create_run(
        http, thread_id, assistant_id="echo", input=user("later"), after_seconds=2
    )
    assert run["status"] == "pending"
    await wait_for_status(http, thread_id, run["run_id"], {"success"})
    assert time.monotonic() - started >= 1.9


async def test_unknown_assistant_uuid_404(http: httpx.AsyncClient, thread_id: str) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs", json={"assistant_id": str(uuid.uuid4()), "input": {}}
    )
    assert response.status_code == 404


async def test_unknown_assistant_name_422(http: httpx.AsyncClient, thread_id: str) -> None:
    response = await http.post(
        f"/threads/{thread_id}/runs", json={"assistant_id": "no-such-graph", "input": {}}
    )
    assert response.status_code == 422


async def test_join_of_unknown_run_is_not_success(http: httpx.AsyncClient, thread_id: str) -> None:
    """The reference answers 200 with `__error__`; a 404 is also a correct refusal."""
    response = await http.get(f"/threads/{thread_id}/runs/{uuid.uuid4()}/join")
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "__error__" in response.json()


@pytest.mark.interop_extension
async def test_join_of_unknown_run_404(http: httpx.AsyncClient, thread_id: str) -> None:
    response = await http.get(f"/threads/{thread_id}/runs/{uuid.uuid4()}/join")
    assert response.status_code == 404
