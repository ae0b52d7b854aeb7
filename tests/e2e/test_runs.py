"""Runs on a thread through the official SDK: create, get, list, delete, join, wait; if_not_exists;
unknown assistants; after_seconds; failures."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from langgraph_sdk.client import LangGraphClient

from .support import (
    COUNTDOWN,
    ECHO,
    countdown_input,
    message_texts,
    new_thread,
    run_status,
    status_of,
    thread_status,
    user_message,
)


async def test_create_get_join(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    created: list[Any] = []
    run = await client.runs.create(
        thread_id,
        ECHO,
        input=user_message("background"),
        metadata={"purpose": "e2e"},
        on_run_created=created.append,
    )
    assert run["thread_id"] == thread_id
    assert run["status"] in ("pending", "running")
    assert run["assistant_id"] != ECHO  # the graph name resolves to the system assistant's id
    uuid.UUID(run["assistant_id"])
    assert run["metadata"]["purpose"] == "e2e"
    assert run["multitask_strategy"] == "enqueue"
    assert created and created[0]["run_id"] == run["run_id"]
    assert created[0]["thread_id"] == thread_id

    result = await client.runs.join(thread_id, run["run_id"])
    assert message_texts(result) == [("human", "background"), ("ai", "background")]

    finished = await client.runs.get(thread_id, run["run_id"])
    assert finished["status"] == "success"
    assert finished["run_id"] == run["run_id"]
    thread = await client.threads.get(thread_id)
    assert thread["status"] == "idle"
    assert message_texts(thread["values"]) == [("human", "background"), ("ai", "background")]
    assert thread["metadata"]["graph_id"] == ECHO


async def test_create_headers(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    response = await http.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": ECHO, "input": user_message("hdr")},
    )
    assert response.status_code == 200
    run = response.json()
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run['run_id']}"
    await client.runs.join(thread_id, run["run_id"])


async def test_wait(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(client)
    result = await client.runs.wait(thread_id, ECHO, input=user_message("wait for me"))
    assert message_texts(result) == [("human", "wait for me"), ("ai", "wait for me")]

    response = await http.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": ECHO, "input": user_message("again")},
    )
    assert response.status_code == 200
    assert message_texts(response.json())[-2:] == [("human", "again"), ("ai", "again")]
    location = response.headers["location"]
    content_location = response.headers["content-location"]
    assert content_location.startswith(f"/threads/{thread_id}/runs/")
    assert location == content_location + "/join"


async def test_join_response_headers(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, ECHO, input=user_message("join"))
    response = await http.get(f"/threads/{thread_id}/runs/{run['run_id']}/join")
    assert response.status_code == 200
    assert message_texts(response.json())[-1] == ("ai", "join")
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run['run_id']}"
    # Joining a finished run answers its final values again.
    again = await client.runs.join(thread_id, run["run_id"])
    assert message_texts(again)[-1] == ("ai", "join")


async def test_list_newest_first_with_paging_and_status(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    ids = []
    for text in ("one", "two", "three"):
        run = await client.runs.create(thread_id, ECHO, input=user_message(text))
        await client.runs.join(thread_id, run["run_id"])
        ids.append(run["run_id"])
    listed = await client.runs.list(thread_id)
    assert [r["run_id"] for r in listed] == list(reversed(ids))
    assert all(r["status"] == "success" for r in listed)
    page = await client.runs.list(thread_id, limit=1, offset=1)
    assert [r["run_id"] for r in page] == [ids[1]]
    assert len(await client.runs.list(thread_id, status="success")) == 3
    assert await client.runs.list(thread_id, status="error") == []
    assert await status_of(client.runs.list(str(uuid.uuid4()))) == 404


async def test_delete_run(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, ECHO, input=user_message("bye"))
    await client.runs.join(thread_id, run["run_id"])
    await client.runs.delete(thread_id, run["run_id"])
    assert await status_of(client.runs.get(thread_id, run["run_id"])) == 404
    assert await status_of(client.runs.delete(thread_id, run["run_id"])) == 404
    assert await client.runs.list(thread_id) == []


async def test_delete_a_running_run(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(200, 0.1))
    await run_status(client, thread_id, run["run_id"], {"running"})
    await client.runs.delete(thread_id, run["run_id"])
    assert await status_of(client.runs.get(thread_id, run["run_id"])) == 404
    thread = await thread_status(client, thread_id, ["idle"])
    assert thread["status"] == "idle"


async def test_get_unknown_run_is_404(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(client)
    assert await status_of(client.runs.get(thread_id, str(uuid.uuid4()))) == 404
    # Joining an unknown run: 404 (the reference answers 200 with an `__error__` body).
    response = await http.get(f"/threads/{thread_id}/runs/{uuid.uuid4()}/join")
    if response.status_code == 200:
        assert "__error__" in response.json()
    else:
        assert response.status_code == 404


async def test_run_of_another_thread_is_not_found(client: LangGraphClient) -> None:
    thread_a = await new_thread(client)
    thread_b = await new_thread(client)
    run = await client.runs.create(thread_a, ECHO, input=user_message("mine"))
    await client.runs.join(thread_a, run["run_id"])
    assert await status_of(client.runs.get(thread_b, run["run_id"])) == 404


async def test_if_not_exists(client: LangGraphClient) -> None:
    missing = str(uuid.uuid4())
    assert await status_of(client.runs.create(missing, ECHO, input=user_message("x"))) == 404
    assert (
        await status_of(
            client.runs.create(missing, ECHO, input=user_message("x"), if_not_exists="reject")
        )
        == 404
    )
    assert await status_of(client.runs.wait(missing, ECHO, input=user_message("x"))) == 404
    assert await status_of(client.threads.get(missing)) == 404

    run = await client.runs.create(
        missing, ECHO, input=user_message("created"), if_not_exists="create"
    )
    assert run["thread_id"] == missing
    await client.runs.join(missing, run["run_id"])
    thread = await client.threads.get(missing)
    assert thread["metadata"]["graph_id"] == ECHO
    assert message_texts(thread["values"])[-1] == ("ai", "created")

    other = str(uuid.uuid4())
    result = await client.runs.wait(
        other, ECHO, input=user_message("waited"), if_not_exists="create"
    )
    assert message_texts(result)[-1] == ("ai", "waited")


async def test_unknown_assistant(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    # Not a UUID and not a graph name: 422 (reference: "Invalid assistant").
    assert await status_of(client.runs.create(thread_id, "nope", input={})) == 422
    assert await status_of(client.runs.wait(thread_id, "nope", input={})) == 422
    assert await status_of(client.runs.wait(None, "nope", input={})) == 422
    # A UUID that names no assistant: 404.
    unknown = str(uuid.uuid4())
    assert await status_of(client.runs.create(thread_id, unknown, input={})) == 404
    assert await status_of(client.runs.wait(None, unknown, input={})) == 404


async def test_after_seconds_delays_the_start(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    started = time.monotonic()
    run = await client.runs.create(
        thread_id, COUNTDOWN, input=countdown_input(1, 0.01), after_seconds=1
    )
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "pending"
    done = await run_status(client, thread_id, run["run_id"])
    assert done["status"] == "success"
    assert time.monotonic() - started >= 1.0


async def test_failing_run(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    result = await client.runs.wait(
        thread_id, COUNTDOWN, input={"n": "abc", "delay": 0}, raise_error=False
    )
    assert isinstance(result, dict)
    assert result["__error__"]["error"] == "ValueError"
    assert "message" in result["__error__"]
    runs = await client.runs.list(thread_id)
    assert runs[0]["status"] == "error"
    thread = await client.threads.get(thread_id)
    assert thread["status"] == "error"

    # The SDK raises by default on `__error__`.
    try:
        await client.runs.wait(thread_id, COUNTDOWN, input={"n": "abc", "delay": 0})
    except Exception as exc:  # noqa: BLE001 - the SDK raises a bare Exception here
        assert "ValueError" in str(exc)
    else:
        raise AssertionError("runs.wait did not raise on __error__")

    # The thread recovers with the next successful run.
    await client.runs.wait(thread_id, COUNTDOWN, input=countdown_input(1, 0))
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_config_and_context_reach_the_run(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(
        thread_id,
        ECHO,
        input=user_message("cfg"),
        config={"configurable": {"user_key": "v"}, "tags": ["t1"]},
        metadata={"m": 1},
    )
    assert run["kwargs"]["config"]["configurable"]["user_key"] == "v"
    await client.runs.join(thread_id, run["run_id"])
    state = await client.threads.get_state(thread_id)
    assert state["metadata"]["m"] == 1


async def test_durability_exit_still_saves_the_final_state(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    await client.runs.wait(thread_id, ECHO, input=user_message("exit"), durability="exit")
    state = await client.threads.get_state(thread_id)
    assert message_texts(state["values"]) == [("human", "exit"), ("ai", "exit")]


async def test_run_from_an_old_checkpoint(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    await client.runs.wait(thread_id, ECHO, input=user_message("first"))
    history = await client.threads.get_history(thread_id, limit=10)
    first_end = history[0]["checkpoint"]["checkpoint_id"]
    await client.runs.wait(thread_id, ECHO, input=user_message("second"))
    result = await client.runs.wait(
        thread_id, ECHO, input=user_message("branch"), checkpoint_id=first_end
    )
    assert message_texts(result) == [
        ("human", "first"),
        ("ai", "first"),
        ("human", "branch"),
        ("ai", "branch"),
    ]
